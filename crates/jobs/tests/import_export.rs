//! Import and export end to end, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use anju_domain::Role;
use anju_io::{EncodingChoice, ReadOptions};
use anju_jobs::{ImportError, ImportOptions, export_persons, generate_persons, import_persons};
use anju_store::testing::TestDb;
use anju_store::{NewUser, PersonFilter, Scope, Store, contract};
use chrono::NaiveDate;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "anju-jobs-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

async fn scope(store: &Store, name: &str, role: Role, region: &str) -> Scope {
    let admin = store.users().local_scope("admin").await.unwrap();
    store
        .users()
        .create(
            &admin,
            NewUser {
                username: name.into(),
                role,
                region: region.into(),
                password: Some("Jobs-Pass-2026".into()),
            },
        )
        .await
        .unwrap();
    store.users().local_scope(name).await.unwrap()
}

contract!(
    generated_sheets_import_once_and_round_trip,
    |db: TestDb| async move {
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let sheet = temp("gen.xlsx");
        assert_eq!(generate_persons(300, 7, &sheet, today()).unwrap(), 300);
        let opts = ImportOptions::default();
        let mut ticks = 0;
        let r = import_persons(&store, &admin, &sheet, &opts, |_| ticks += 1)
            .await
            .unwrap();
        assert_eq!(
            (r.rows, r.inserted, r.rejected),
            (300, 300, 0),
            "{:?}",
            r.errors.first()
        );
        assert!(r.committed && ticks >= 1);
        let again = import_persons(&store, &admin, &sheet, &opts, |_| {})
            .await
            .unwrap();
        assert_eq!(
            (again.inserted, again.updated, again.unchanged),
            (0, 0, 300)
        );
        // Export everything and read it back: nothing changes.
        for name in ["all.xlsx", "all.csv"] {
            let out = temp(name);
            let n = export_persons(&store, &admin, &PersonFilter::new(today()), &out)
                .await
                .unwrap();
            assert_eq!(n, 300);
            let back = import_persons(&store, &admin, &out, &opts, |_| {})
                .await
                .unwrap();
            assert_eq!(
                (back.rows, back.unchanged, back.rejected),
                (300, 300, 0),
                "{name}: {:?}",
                back.errors.first()
            );
        }
        // The same seed makes the same sheet.
        let twin = temp("twin.xlsx");
        generate_persons(300, 7, &twin, today()).unwrap();
        let twin_again = import_persons(&store, &admin, &twin, &opts, |_| {})
            .await
            .unwrap();
        assert_eq!(twin_again.unchanged, 300);
        assert!(store.audit().verify().await.unwrap().is_ok());
    }
);

const HEADER: &str = "公民身份号码,姓名,性别,残疾类别,残疾等级,户籍地代码,联系电话,备注\n";

contract!(
    bad_rows_are_reported_and_the_rest_imported,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = scope(&store, "xw", Role::County, "320102000000").await;
        let csv = temp("bad.csv");
        let body = [
            HEADER,
            "11010519491231002x,张三,女,肢体,二级,320102002001,13800138000,好\n", // row 2 ok
            "110105194912310021,李四,男,视力,一级,320102002001,,\n",              // row 3 checksum
            ",王五,男,视力,一级,320102002001,,\n",                                // row 4 no ID
            "11010519491231002X,张三,女,肢体,二级,320102002001,,\n",              // row 5 duplicate
            "320102194901010013,赵六,男,八类,一级,320102999001,123,\n", // row 6 three faults
            "320102195001010012,钱七,男,智力,三级,320104001001,,\n",    // row 7 outside scope
        ]
        .concat();
        std::fs::write(&csv, body).unwrap();
        let errors_out = temp("bad-errors.xlsx");
        let opts = ImportOptions {
            errors_out: Some(errors_out.clone()),
            ..Default::default()
        };
        let r = import_persons(&store, &county, &csv, &opts, |_| {})
            .await
            .unwrap();
        assert_eq!((r.rows, r.inserted, r.rejected), (6, 1, 5));
        let seen: Vec<(usize, &str, &str)> = r
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (3, "身份证号", "id_checksum"),
                (4, "身份证号", "required"),
                (5, "身份证号", "duplicate_in_file"),
                (6, "户籍地区划代码", "region_unknown"),
                (6, "联系电话", "phone_invalid"),
                (6, "残疾类别", "category_invalid"),
                (7, "户籍地区划代码", "region_out_of_scope"),
            ]
        );
        assert!(r.errors.iter().all(|e| !e.message.is_empty()));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["rejected"], 5);
        assert_eq!(json["errors"][0]["row"], 3);
        // The rejected rows, with their original columns and the reasons, can be fixed and re-imported.
        let mut back = anju_io::open(&errors_out, &ReadOptions::default()).unwrap();
        assert_eq!(back.headers.last().map(String::as_str), Some("错误原因"));
        assert_eq!(back.headers[0], "公民身份号码");
        let rows: Vec<_> = back.by_ref().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 5);
        assert!(rows[3].cells.last().unwrap().contains("残疾类别"));
    }
);

contract!(
    strict_mode_writes_nothing_when_a_row_is_bad,
    |db: TestDb| async move {
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let csv = temp("strict.csv");
        std::fs::write(&csv, format!("{HEADER}11010519491231002X,张三,女,肢体,二级,320102002001,,\n110105194912310021,李四,男,视力,一级,320102002001,,\n")).unwrap();
        let opts = ImportOptions {
            strict: true,
            ..Default::default()
        };
        let r = import_persons(&store, &admin, &csv, &opts, |_| {})
            .await
            .unwrap();
        assert!(!r.committed);
        assert_eq!(r.rejected, 1);
        assert_eq!(
            store
                .persons()
                .list(&admin, &PersonFilter::new(today()))
                .await
                .unwrap()
                .total,
            0
        );
    }
);

contract!(
    unusable_files_are_refused_before_anything_is_written,
    |db: TestDb| async move {
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let csv = temp("cols.csv");
        std::fs::write(&csv, "身份证号,姓名\n11010519491231002X,张三\n").unwrap();
        let e = import_persons(&store, &admin, &csv, &ImportOptions::default(), |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ImportError::MissingColumns(m) if m == "残疾类别、残疾等级、户籍地区划代码"),
            "{e}"
        );
        let gbk = temp("gbk.csv");
        let text = format!("{HEADER}11010519491231002X,张三,女,肢体,二级,320102002001,,\n");
        let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
        std::fs::write(&gbk, &bytes).unwrap();
        let r = import_persons(&store, &admin, &gbk, &ImportOptions::default(), |_| {})
            .await
            .unwrap();
        assert_eq!(r.inserted, 1, "GBK is detected");
        let forced = ImportOptions {
            read: ReadOptions {
                encoding: EncodingChoice::Utf8,
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(matches!(
            import_persons(&store, &admin, &gbk, &forced, |_| {}).await,
            Err(ImportError::MissingColumns(_))
        ));
        let sheetless = ImportOptions {
            read: ReadOptions {
                sheet: Some("名单".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let x = temp("one.xlsx");
        generate_persons(3, 1, &x, today()).unwrap();
        assert!(matches!(
            import_persons(&store, &admin, &x, &sheetless, |_| {}).await,
            Err(ImportError::Read(anju_io::ReadError::SheetNotFound { .. }))
        ));
        assert_eq!(
            store
                .persons()
                .list(&admin, &PersonFilter::new(today()))
                .await
                .unwrap()
                .total,
            1
        );
    }
);

contract!(
    exports_are_masked_for_roles_that_may_not_see_numbers,
    |db: TestDb| async move {
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let csv = temp("m.csv");
        std::fs::write(
            &csv,
            format!("{HEADER}11010519491231002X,张三,女,肢体,二级,320102002001,13812345678,\n"),
        )
        .unwrap();
        import_persons(&store, &admin, &csv, &ImportOptions::default(), |_| {})
            .await
            .unwrap();
        let leader = scope(&store, "ld", Role::Leader, "320102000000").await;
        let out = temp("masked.csv");
        assert_eq!(
            export_persons(&store, &leader, &PersonFilter::new(today()), &out)
                .await
                .unwrap(),
            1
        );
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(
            text.contains("1101**********002X") && text.contains("138****5678"),
            "{text}"
        );
        assert!(!text.contains("11010519491231002X"));
        let page = store
            .audit()
            .list(
                &scope(&store, "aud", Role::Auditor, "320000000000").await,
                &anju_store::AuditFilter {
                    action: Some("person.export".into()),
                    page: 1,
                    per_page: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        assert!(page.entries[0].detail.contains("脱敏"));
    }
);

contract!(
    a_reader_that_fails_mid_file_writes_nothing,
    |db: TestDb| async move {
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let sheet = temp("half.csv");
        assert_eq!(generate_persons(3_000, 11, &sheet, today()).unwrap(), 3_000);
        let failing = ImportOptions {
            read: ReadOptions {
                fail_at_row: Some(2_500),
                ..Default::default()
            },
            ..Default::default()
        };
        let e = import_persons(&store, &admin, &sheet, &failing, |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(e, ImportError::Read(anju_io::ReadError::Interrupted)),
            "{e}"
        );
        let total = |store: Store| async move {
            store
                .persons()
                .list(
                    &store.users().local_scope("admin").await.unwrap(),
                    &PersonFilter::new(today()),
                )
                .await
                .unwrap()
                .total
        };
        assert_eq!(
            total(store.clone()).await,
            0,
            "nothing of the first rows is kept"
        );
        let r = import_persons(&store, &admin, &sheet, &ImportOptions::default(), |_| {})
            .await
            .unwrap();
        assert_eq!(r.inserted, 3_000);
        assert_eq!(total(store).await, 3_000);
    }
);

contract!(
    a_cell_over_the_limit_rejects_its_row_only,
    |db: TestDb| async move {
        let store = db.open().await;
        let admin = store.users().local_scope("admin").await.unwrap();
        let csv = temp("long.csv");
        let long = "路".repeat(anju_io::read::MAX_CELL_CHARS + 1);
        std::fs::write(
            &csv,
            format!(
                "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,居住地址\n\
                 11010519491231002X,张三,肢体,二级,320102002001,{long}\n\
                 320102194901010013,李四,视力,一级,320102002001,中山路1号\n"
            ),
        )
        .unwrap();
        let r = import_persons(&store, &admin, &csv, &ImportOptions::default(), |_| {})
            .await
            .unwrap();
        assert_eq!((r.inserted, r.rejected), (1, 1));
        assert_eq!(r.errors[0].row, 2);
        assert_eq!(r.errors[0].code, "cell_too_long");
        assert!(
            r.errors[0].message.contains("32767"),
            "{}",
            r.errors[0].message
        );
        assert!(!r.errors[0].message.contains('/'), "no server path");
    }
);

fn write(name: &str, text: &str) -> PathBuf {
    let p = temp(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The file of `id` as stored, through the scope.
async fn stored(store: &Store, scope: &Scope, id: &str) -> anju_store::PersonRecord {
    let id = anju_domain::id_number::IdNumber::parse(id).unwrap();
    store.persons().lookup(scope, &id).await.unwrap()
}

/// A clerk's hand edit of one field, as the page makes it.
async fn edit_by_hand(
    store: &Store,
    scope: &Scope,
    id: &str,
    field: anju_domain::person::Field,
    value: &str,
) {
    let rec = stored(store, scope, id).await;
    let mut input = anju_domain::person::PersonInput::default();
    for f in anju_domain::person::Field::ALL {
        input.set(f, rec.person.field_text(f));
    }
    input.set(field, value);
    let p = anju_domain::person::validate(&input, anju_domain::RegionTable::jiangsu()).unwrap();
    store
        .persons()
        .update(scope, p, anju_store::Source::Web)
        .await
        .unwrap();
}

contract!(
    a_reimport_keeps_hand_corrections_unless_told_otherwise,
    |db: TestDb| async move {
        use anju_domain::person::Field;
        let store = db.open().await;
        let county = scope(&store, "xw", Role::County, "320102000000").await;
        let (a, b) = ("320102194901010013", "320102195001010012");
        let sheet = write(
            "last-month.csv",
            &format!(
                "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,联系电话,住址\n\
                 {a},张三,肢体,一级,320102002001,13800000001,梅园新村1号\n\
                 {b},李四,视力,三级,320102002002,13800000002,梅园新村2号\n"
            ),
        );
        let opts = ImportOptions::default();
        let first = import_persons(&store, &county, &sheet, &opts, |_| {})
            .await
            .unwrap();
        assert_eq!(first.inserted, 2);
        // The clerk corrects 张三's phone on the page.
        edit_by_hand(&store, &county, a, Field::Phone, "13900000009").await;
        // Last month's sheet again: the correction stays, reported as a conflict.
        let again = import_persons(&store, &county, &sheet, &opts, |_| {})
            .await
            .unwrap();
        assert!(again.committed);
        assert_eq!((again.updated, again.unchanged), (0, 2));
        assert_eq!(again.conflicts.len(), 1, "{:?}", again.conflicts);
        let c = &again.conflicts[0];
        assert_eq!((c.row, c.field, c.column), (2, Field::Phone, "联系电话"));
        assert_eq!(
            (c.stored.as_str(), c.file.as_str()),
            ("13900000009", "13800000001")
        );
        assert_eq!((c.changed_by.as_str(), c.source.as_str()), ("xw", "web"));
        assert!(c.changed_at_ms > 0);
        assert!(
            again.summary().contains("1处与手工修改冲突"),
            "{}",
            again.summary()
        );
        assert_eq!(
            stored(&store, &county, a).await.person.phone.as_deref(),
            Some("13900000009")
        );
        // A new value in the file for the same person and another field goes in beside it.
        let newer = write(
            "this-month.csv",
            &format!(
                "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,联系电话,住址\n\
                 {a},张三,肢体,一级,320102002001,13800000001,梅园新村9号\n"
            ),
        );
        // A dry run says what would happen and keeps nothing.
        let dry = ImportOptions {
            dry_run: true,
            ..Default::default()
        };
        let preview = import_persons(&store, &county, &newer, &dry, |_| {})
            .await
            .unwrap();
        assert!(preview.dry_run && !preview.committed);
        assert_eq!(preview.updated, 1);
        assert_eq!(preview.changes.len(), 1);
        assert_eq!(
            (preview.changes[0].row, preview.changes[0].columns.clone()),
            (2, vec!["居住地址"])
        );
        assert_eq!(preview.conflicts.len(), 1);
        let kept = stored(&store, &county, a).await.person;
        assert_eq!(
            kept.address.as_deref(),
            Some("梅园新村1号"),
            "a dry run writes nothing"
        );
        // Imported for real: the address changes, the phone stays.
        let real = import_persons(&store, &county, &newer, &opts, |_| {})
            .await
            .unwrap();
        assert_eq!((real.updated, real.conflicts.len()), (1, 1));
        let p = stored(&store, &county, a).await.person;
        assert_eq!(p.address.as_deref(), Some("梅园新村9号"));
        assert_eq!(p.phone.as_deref(), Some("13900000009"));
        // Asked to, the file's value wins; and after that import, the next one is no conflict.
        let overwrite = ImportOptions {
            overwrite_conflicts: true,
            ..Default::default()
        };
        let forced = import_persons(&store, &county, &newer, &overwrite, |_| {})
            .await
            .unwrap();
        assert_eq!((forced.updated, forced.conflicts.len()), (1, 0));
        assert_eq!(
            stored(&store, &county, a).await.person.phone.as_deref(),
            Some("13800000001")
        );
        let quiet = import_persons(&store, &county, &sheet, &opts, |_| {})
            .await
            .unwrap();
        assert!(quiet.conflicts.is_empty(), "{:?}", quiet.conflicts);
        assert_eq!(
            quiet.updated, 1,
            "the address goes back: it was imported, not typed"
        );
        // A sheet without a column leaves that field alone.
        let narrow = write(
            "narrow.csv",
            &format!(
                "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码\n{b},李四,视力,三级,320102002002\n"
            ),
        );
        let n = import_persons(&store, &county, &narrow, &opts, |_| {})
            .await
            .unwrap();
        assert_eq!((n.updated, n.unchanged), (0, 1));
        let p = stored(&store, &county, b).await.person;
        assert_eq!(p.phone.as_deref(), Some("13800000002"));
        assert_eq!(p.address.as_deref(), Some("梅园新村2号"));
        // A file made by hand counts as typed: an import does not overwrite what was entered.
        let c_id = "320102196001010017";
        let mut input = anju_domain::person::PersonInput::default();
        for (f, v) in [
            (Field::IdNumber, c_id),
            (Field::Name, "王五"),
            (Field::Category, "听力"),
            (Field::Grade, "二级"),
            (Field::HouseholdCode, "320102002001"),
            (Field::Phone, "13700000007"),
        ] {
            input.set(f, v);
        }
        let p = anju_domain::person::validate(&input, anju_domain::RegionTable::jiangsu()).unwrap();
        store
            .persons()
            .create(&county, p, anju_store::Source::Web)
            .await
            .unwrap();
        let old = write(
            "old.csv",
            &format!(
                "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,联系电话\n{c_id},王五,听力,二级,320102002001,13700000000\n"
            ),
        );
        let r = import_persons(&store, &county, &old, &opts, |_| {})
            .await
            .unwrap();
        assert_eq!(r.conflicts.len(), 1);
        assert_eq!(r.conflicts[0].source, "web");
        // Every preview is in the audit log; the chain holds.
        let log = store
            .audit()
            .list(
                &scope(&store, "shenji", Role::Auditor, "320102000000").await,
                &anju_store::AuditFilter {
                    actor: None,
                    action: Some("person.import_preview".into()),
                    outcome: None,
                    from_ms: None,
                    to_ms: None,
                    page: 1,
                    per_page: 10,
                },
            )
            .await
            .unwrap();
        assert_eq!(log.total, 1);
        assert!(store.audit().verify().await.unwrap().is_ok());
    }
);

contract!(
    multiple_without_components_is_imported_with_a_warning,
    |db: TestDb| async move {
        let store = db.open().await;
        let town = scope(&store, "mx", Role::Town, "320102002000").await;
        let sheet = write(
            "multi.csv",
            "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,多重残疾组成\n\
             320102194901010013,张三,多重,一级,320102002001,\n\
             320102195001010012,李四,多重,一级,320102002001,肢体二级、智力三级\n\
             320102196001010017,王五,肢体,二级,320102002001,\n",
        );
        let errors = temp("multi-错误行.xlsx");
        let opts = ImportOptions {
            errors_out: Some(errors.clone()),
            ..Default::default()
        };
        let r = import_persons(&store, &town, &sheet, &opts, |_| {})
            .await
            .unwrap();
        assert_eq!((r.inserted, r.rejected, r.warned), (2, 1, 1), "{r:?}");
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(
            (
                r.warnings[0].row,
                r.warnings[0].column.as_str(),
                r.warnings[0].code.as_str()
            ),
            (2, "多重残疾组成", "components_missing")
        );
        assert_eq!(
            r.errors[0].row, 3,
            "components that contradict the grade are refused"
        );
        assert_eq!(r.errors[0].code, "cert_component_grade");
        assert!(r.summary().contains("1行已导入但需补录"), "{}", r.summary());
        // The error sheet holds the refused row and the accepted one with its reason.
        let mut reader = anju_io::open(&errors, &ReadOptions::default()).unwrap();
        let mut reasons = Vec::new();
        while let Some(row) = reader.next_row().unwrap() {
            reasons.push(row.cells.last().cloned().unwrap_or_default());
        }
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("（已导入）多重残疾组成")),
            "{reasons:?}"
        );
        // The town's worklist asks for the components; the list finds the file.
        let w = store.worklist(&town).await.unwrap();
        let item = w.items.iter().find(|i| i.kind == "incomplete").unwrap();
        assert_eq!(item.count, 1);
        assert_eq!(item.href, "/persons?quality=components_missing");
        let mut f = PersonFilter::new(today());
        f.incomplete = true;
        let page = store.persons().list(&town, &f).await.unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.rows[0].person.name, "张三");
        // Another town's worklist does not count it.
        let other = scope(&store, "other", Role::Town, "320102003000").await;
        let w = store.worklist(&other).await.unwrap();
        assert!(w.items.iter().all(|i| i.kind != "incomplete"));
    }
);

contract!(
    an_imported_issue_date_gets_the_rules_end_date_once,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = scope(&store, "xw", Role::County, "320102000000").await;
        let sheet = write(
            "issued.csv",
            "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码,发证日期,有效期至\n\
             320102194901010013,张三,肢体,一级,320102002001,2016-04-01,\n",
        );
        let opts = ImportOptions::default();
        let r = import_persons(&store, &county, &sheet, &opts, |_| {})
            .await
            .unwrap();
        assert_eq!(r.inserted, 1);
        let rec = stored(&store, &county, "320102194901010013").await;
        assert_eq!(
            rec.person.cert_valid_to,
            NaiveDate::from_ymd_opt(2026, 3, 31)
        );
        let h = store.persons().history(&county, &rec).await.unwrap();
        assert!(
            h.iter()
                .any(|e| e.field == "cert_valid_to" && e.source == "rule")
        );
        // The same sheet again: nothing to change, and the derived date is no conflict.
        let again = import_persons(&store, &county, &sheet, &opts, |_| {})
            .await
            .unwrap();
        assert_eq!(
            (again.unchanged, again.conflicts.len()),
            (1, 0),
            "{again:?}"
        );
    }
);
