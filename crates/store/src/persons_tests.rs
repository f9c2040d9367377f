//! The persons contract, on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anju_domain::RegionTable;
use anju_domain::Role;
use anju_domain::certificate::CertStatus;
use anju_domain::id_number::IdNumber;
use anju_domain::person::{Field, Person, PersonInput, validate};
use chrono::NaiveDate;

use crate::persons::Source;
use crate::testing::TestDb;
use crate::{NewUser, PersonFilter, RowOutcome, Scope, Sort, Store, StoreError, contract};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

fn person(
    seq: u16,
    name: &str,
    village: &str,
    category: &str,
    grade: &str,
    birth: (i32, u32, u32),
) -> Person {
    let birth = NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap();
    let id = IdNumber::compose("320102", birth, seq).unwrap();
    let mut i = PersonInput::default();
    i.set(Field::IdNumber, id.as_str());
    i.set(Field::Name, name);
    i.set(Field::HouseholdCode, village);
    i.set(Field::Category, category);
    i.set(Field::Grade, grade);
    i.set(Field::CertValidTo, "2030-01-01");
    validate(&i, RegionTable::jiangsu()).unwrap()
}

async fn user(store: &Store, name: &str, role: Role, region: &str) -> Scope {
    let admin = store.users().local_scope("admin").await.unwrap();
    store
        .users()
        .create(
            &admin,
            NewUser {
                username: name.into(),
                role,
                region: region.into(),
                password: Some("Registry-Pass-2026".into()),
            },
        )
        .await
        .unwrap();
    store.users().local_scope(name).await.unwrap()
}

// Villages of two towns of Xuanwu, and one of Qinhuai.
const MEIYUAN_1: &str = "320102002001";
const MEIYUAN_2: &str = "320102002002";
const XINJIEKOU_1: &str = "320102003001";
const QINHUAI_1: &str = "320104001001";

contract!(
    files_are_created_changed_and_remembered,
    |db: TestDb| async move {
        let store = db.open().await;
        let clerk = user(&store, "xw", Role::County, "320102000000").await;
        let p = person(11, "张三", MEIYUAN_1, "肢体", "二级", (1980, 5, 6));
        let rec = store
            .persons()
            .create(&clerk, p.clone(), Source::Web)
            .await
            .unwrap();
        assert_eq!(rec.person, p);
        let dup = store
            .persons()
            .create(&clerk, p.clone(), Source::Web)
            .await
            .unwrap_err();
        assert!(dup.to_string().contains("已有档案"), "{dup}");
        // Filed in another county: the clerk learns where (so as not to file twice), and the
        // answer is audited as a lookup.
        let qinhuai = user(&store, "qh", Role::County, "320104000000").await;
        let mut moved_in = p.clone();
        moved_in.household_code = QINHUAI_1.parse_region();
        let elsewhere = store
            .persons()
            .create(&qinhuai, moved_in, Source::Web)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            elsewhere.contains("已在南京市玄武区建档") && !elsewhere.contains(p.id_number.as_str()),
            "{elsewhere}"
        );
        let province = user(&store, "sheng", Role::Auditor, "320000000000").await;
        let lookups = store
            .audit()
            .list(
                &province,
                &crate::AuditFilter {
                    action: Some("person.lookup".into()),
                    per_page: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(lookups.total, 1);
        assert_eq!(lookups.entries[0].actor.as_deref(), Some("qh"));
        assert!(!lookups.entries[0].object.contains(p.id_number.as_str()));
        let mut changed = p.clone();
        changed.phone = Some("13800138000".into());
        changed.household_code = MEIYUAN_2.parse_region();
        let (rec, fields) = store
            .persons()
            .update(&clerk, changed.clone(), Source::Web)
            .await
            .unwrap();
        assert_eq!(fields, vec![Field::HouseholdCode, Field::Phone]);
        assert_eq!(rec.person.phone.as_deref(), Some("13800138000"));
        let (_, none) = store
            .persons()
            .update(&clerk, changed, Source::Web)
            .await
            .unwrap();
        assert!(none.is_empty(), "an identical update writes nothing");
        let history = store.persons().history(&clerk, &rec).await.unwrap();
        let summary: Vec<(&str, Option<&str>, Option<&str>)> = history
            .iter()
            .map(|h| (h.field.as_str(), h.before.as_deref(), h.after.as_deref()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("phone", Some(""), Some("13800138000")),
                ("household_code", Some(MEIYUAN_1), Some(MEIYUAN_2)),
                ("created", None, Some("张三")),
            ]
        );
        assert!(history.iter().all(|h| h.actor == "xw"));
        // The audit log names the file by row id and masked number only.
        assert!(store.audit().verify().await.unwrap().is_ok());
    }
);

trait ParseRegion {
    fn parse_region(&self) -> anju_domain::RegionCode;
}
impl ParseRegion for &str {
    fn parse_region(&self) -> anju_domain::RegionCode {
        anju_domain::RegionCode::parse(self).unwrap()
    }
}

contract!(
    files_outside_the_scope_are_invisible_and_untouchable,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let town = user(&store, "my", Role::Town, "320102002000").await;
        let auditor = user(&store, "au", Role::Auditor, "320102000000").await;
        let in_town = person(11, "李四", MEIYUAN_1, "视力", "一级", (1970, 1, 1));
        let other_town = person(13, "王五", XINJIEKOU_1, "听力", "三级", (1990, 2, 2));
        store
            .persons()
            .create(&county, in_town.clone(), Source::Web)
            .await
            .unwrap();
        store
            .persons()
            .create(&county, other_town.clone(), Source::Web)
            .await
            .unwrap();
        assert!(store.persons().get(&town, &in_town.id_number).await.is_ok());
        assert!(matches!(
            store.persons().get(&town, &other_town.id_number).await,
            Err(StoreError::NotFound(_))
        ));
        let page = store
            .persons()
            .list(&town, &PersonFilter::new(today()))
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        assert!(matches!(
            store
                .persons()
                .create(
                    &town,
                    person(15, "赵六", XINJIEKOU_1, "智力", "二级", (2000, 3, 3)),
                    Source::Web
                )
                .await,
            Err(StoreError::Forbidden)
        ));
        let mut moved = other_town.clone();
        moved.name = "王五五".into();
        assert!(
            matches!(
                store.persons().update(&town, moved, Source::Web).await,
                Err(StoreError::NotFound(_))
            ),
            "a file outside the scope does not exist for this user"
        );
        let mut away = in_town.clone();
        away.household_code = anju_domain::RegionCode::parse(XINJIEKOU_1).unwrap();
        assert!(
            matches!(
                store.persons().update(&town, away, Source::Web).await,
                Err(StoreError::Forbidden)
            ),
            "a file cannot be moved out of the scope"
        );
        let mut f = PersonFilter::new(today());
        f.region = Some("320102003000".into());
        assert!(matches!(
            store.persons().list(&town, &f).await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            store
                .persons()
                .list(&auditor, &PersonFilter::new(today()))
                .await,
            Err(StoreError::Forbidden)
        ));
    }
);

contract!(lists_filter_search_sort_and_page, |db: TestDb| async move {
    let store = db.open().await;
    let county = user(&store, "xw", Role::County, "320102000000").await;
    let people = [
        person(11, "张三", MEIYUAN_1, "肢体", "二级", (1980, 5, 6)),
        person(12, "张珊珊", MEIYUAN_2, "视力", "四级", (2021, 1, 1)),
        person(13, "周顺", XINJIEKOU_1, "精神", "一级", (1950, 7, 7)),
        person(14, "李明", XINJIEKOU_1, "肢体", "三级", (1990, 8, 8)),
    ];
    // 李明 holds certificate …43B1 (a reissue).
    let mut people = people;
    let mut input = PersonInput::default();
    for f in Field::ALL {
        input.set(f, people[3].field_text(f));
    }
    input.set(
        Field::CertNumber,
        format!("{}43B1", people[3].id_number.as_str()),
    );
    people[3] = validate(&input, RegionTable::jiangsu()).unwrap();
    for p in &people {
        store
            .persons()
            .create(&county, p.clone(), Source::Web)
            .await
            .unwrap();
    }
    let list = |f: PersonFilter| {
        let store = store.clone();
        let county = county.clone();
        async move {
            store
                .persons()
                .list(&county, &f)
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|r| r.person.name)
                .collect::<Vec<_>>()
        }
    };
    let base = PersonFilter::new(today());
    let mut f = base.clone();
    f.q = Some("zs".into());
    assert_eq!(list(f).await, vec!["张三", "张珊珊", "周顺"]);
    let mut f = base.clone();
    f.q = Some("zhangs".into());
    assert_eq!(list(f).await, vec!["张三", "张珊珊"]);
    let mut f = base.clone();
    f.q = Some("张".into());
    assert_eq!(list(f).await.len(), 2);
    let mut f = base.clone();
    f.q = Some(people[2].id_number.to_string().to_lowercase());
    assert_eq!(list(f).await, vec!["周顺"]);
    let mut f = base.clone();
    f.q = Some(format!("{}41", people[3].id_number));
    assert_eq!(
        list(f).await,
        Vec::<String>::new(),
        "certificate numbers are matched exactly"
    );
    let mut f = base.clone();
    f.q = Some(format!("{}43b1", people[3].id_number));
    assert_eq!(
        list(f).await,
        vec!["李明"],
        "a certificate number finds its holder"
    );
    let mut f = base.clone();
    f.q = Some("张*%".into());
    assert_eq!(list(f).await.len(), 2, "wildcards are not wildcards");
    let mut f = base.clone();
    f.category = Some(4);
    assert_eq!(list(f).await, vec!["张三", "李明"]);
    let mut f = base.clone();
    f.severe = Some(true);
    f.sort = Sort::BirthDate;
    assert_eq!(list(f).await, vec!["周顺", "张三"]);
    let mut f = base.clone();
    f.age_min = Some(0);
    f.age_max = Some(6);
    assert_eq!(list(f).await, vec!["张珊珊"]);
    let mut f = base.clone();
    f.age_min = Some(60);
    assert_eq!(list(f).await, vec!["周顺"]);
    let mut f = base.clone();
    f.region = Some("320102003000".into());
    f.sort = Sort::Name;
    f.desc = true;
    assert_eq!(list(f).await, vec!["周顺", "李明"]);
    let mut f = base.clone();
    f.per_page = 3;
    f.page = 2;
    let page = store.persons().list(&county, &f).await.unwrap();
    assert_eq!((page.total, page.rows.len()), (4, 1));
    // A page past the end, however far, is the last page (PostgreSQL answered 500 once).
    for far in [3, 1_000, i64::MAX] {
        f.page = far;
        let page = store.persons().list(&county, &f).await.unwrap();
        assert_eq!((page.page, page.rows.len()), (2, 1), "page {far}");
    }
    let mut f = base.clone();
    f.cert_status = Some(CertStatus::Valid);
    assert_eq!(list(f.clone()).await.len(), 4);
    f.today = NaiveDate::from_ymd_opt(2029, 12, 1).unwrap();
    f.cert_status = Some(CertStatus::Expiring);
    assert_eq!(list(f.clone()).await.len(), 4);
    f.today = NaiveDate::from_ymd_opt(2030, 1, 2).unwrap();
    f.cert_status = Some(CertStatus::Expired);
    assert_eq!(list(f).await.len(), 4);
    // The last four characters of an ID number (what a masked list shows) find the file
    // (the scope's region condition stays on every search).
    let mut f = base.clone();
    let last4: String = {
        let all = list(base.clone()).await;
        assert!(!all.is_empty());
        let p = store.persons().list(&county, &base).await.unwrap().rows[0].clone();
        p.person.id_number.as_str()[14..].to_owned()
    };
    f.q = Some(last4.clone());
    let found = store.persons().list(&county, &f).await.unwrap();
    assert!(
        found
            .rows
            .iter()
            .all(|r| r.person.id_number.as_str().ends_with(&last4)
                || r.person.id_number.as_str().starts_with(&last4)),
        "{last4}"
    );
    assert!(found.total >= 1);
    // A file without a certificate is "未办证", never "有效" (issue 12).
    let mut none = person(31, "吴无证", MEIYUAN_1, "智力", "三级", (2019, 3, 3));
    none.cert_valid_to = None;
    none.cert_issued = None;
    none.cert_number = None;
    let rec = store
        .persons()
        .create(&county, none, Source::Web)
        .await
        .unwrap();
    assert_eq!(rec.cert_status(today(), 90), CertStatus::None);
    assert_eq!(CertStatus::None.label(), "未办证");
    let mut f = base.clone();
    f.cert_status = Some(CertStatus::None);
    assert_eq!(list(f.clone()).await, vec!["吴无证"]);
    f.cert_status = Some(CertStatus::Valid);
    assert!(!list(f).await.contains(&"吴无证".to_owned()));
    let _ = store.audit().verify().await.unwrap();
    let mut seen = 0;
    let n = store
        .persons()
        .for_each(&county, &base, |_| {
            seen += 1;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(
        (n, seen),
        (5, 5),
        "the four, and the file without a certificate"
    );
});

contract!(
    imports_insert_update_and_leave_alone,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let a = person(11, "张三", MEIYUAN_1, "肢体", "二级", (1980, 5, 6));
        let b = person(13, "李四", MEIYUAN_2, "视力", "一级", (1970, 1, 1));
        let outside = person(15, "王五", QINHUAI_1, "听力", "三级", (1990, 2, 2));
        let mut batch = store
            .persons()
            .begin_import(&county, "a.xlsx")
            .await
            .unwrap();
        let out = batch
            .apply(vec![(2, a.clone()), (3, b.clone()), (4, outside.clone())])
            .await
            .unwrap();
        assert!(
            out.contains(&(2, RowOutcome::Inserted)) && out.contains(&(3, RowOutcome::Inserted))
        );
        assert!(out.iter().any(|(n, o)| *n == 4
            && matches!(o, RowOutcome::Rejected(e) if e.code == "region_out_of_scope")));
        let c = batch.commit(3, 1).await.unwrap();
        assert_eq!((c.inserted, c.updated, c.unchanged), (2, 0, 0));
        // The same rows again change nothing; a changed row is updated with history.
        let mut b2 = b.clone();
        b2.address = Some("玄武区梅园新村1号".into());
        let mut batch = store
            .persons()
            .begin_import(&county, "a.xlsx")
            .await
            .unwrap();
        let out = batch.apply(vec![(2, a.clone()), (3, b2)]).await.unwrap();
        assert_eq!(
            out,
            vec![
                (2, RowOutcome::Unchanged),
                (3, RowOutcome::Updated(vec![Field::Address]))
            ]
        );
        batch.commit(2, 0).await.unwrap();
        // An abandoned import leaves nothing behind.
        let mut batch = store
            .persons()
            .begin_import(&county, "b.xlsx")
            .await
            .unwrap();
        batch
            .apply(vec![(
                2,
                person(17, "赵六", MEIYUAN_1, "智力", "二级", (2000, 3, 3)),
            )])
            .await
            .unwrap();
        batch.abandon("有错误行").await.unwrap();
        let total = store
            .persons()
            .list(&county, &PersonFilter::new(today()))
            .await
            .unwrap()
            .total;
        assert_eq!(total, 2);
        let town = user(&store, "vil", Role::Village, MEIYUAN_1).await;
        assert!(matches!(
            store.persons().begin_import(&town, "c.xlsx").await,
            Err(StoreError::Forbidden)
        ));
        assert!(store.audit().verify().await.unwrap().is_ok());
    }
);

contract!(
    a_file_of_another_region_is_not_overwritten_by_import,
    |db: TestDb| async move {
        let store = db.open().await;
        let xw = user(&store, "xw", Role::County, "320102000000").await;
        let qh = user(&store, "qh", Role::County, "320104000000").await;
        let p = person(11, "张三", QINHUAI_1, "肢体", "二级", (1980, 5, 6));
        store
            .persons()
            .create(&qh, p.clone(), Source::Web)
            .await
            .unwrap();
        let mut claim = p.clone();
        claim.household_code = MEIYUAN_1.parse_region();
        let mut batch = store.persons().begin_import(&xw, "x.csv").await.unwrap();
        let out = batch.apply(vec![(2, claim)]).await.unwrap();
        assert!(matches!(&out[0].1, RowOutcome::Rejected(e) if e.code == "person_out_of_scope"));
        batch.commit(1, 1).await.unwrap();
        assert_eq!(
            store
                .persons()
                .get(&qh, &p.id_number)
                .await
                .unwrap()
                .person
                .household_code
                .as_str(),
            QINHUAI_1
        );
    }
);

async fn index_definitions(store: &Store) -> Vec<(String, String)> {
    use sqlx::Row;
    let sql = match store.backend() {
        crate::Backend::Sqlite => {
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' \
             AND sql IS NOT NULL ORDER BY name"
        }
        crate::Backend::Postgres => {
            "SELECT indexname::text, indexdef::text FROM pg_indexes WHERE tablename = 'persons' ORDER BY indexname"
        }
    };
    sqlx::query(sql)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get::<String, _>(0).unwrap(),
                r.try_get::<String, _>(1).unwrap(),
            )
        })
        .collect()
}

contract!(
    a_bulk_load_rebuilds_the_indexes_it_set_aside,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let migrated = index_definitions(&store).await;
        assert!(migrated.len() >= 5, "{migrated:?}");
        // Abandoned: the dropped indexes come back with the rollback.
        let mut batch = store
            .persons()
            .begin_import(&county, "a.csv")
            .await
            .unwrap();
        batch
            .apply(vec![(
                2,
                person(11, "张三", MEIYUAN_1, "肢体", "二级", (1980, 5, 6)),
            )])
            .await
            .unwrap();
        batch.abandon("测试").await.unwrap();
        assert_eq!(index_definitions(&store).await, migrated);
        // Committed: rebuilt exactly as the migration made them, and used for uniqueness.
        let mut batch = store
            .persons()
            .begin_import(&county, "a.csv")
            .await
            .unwrap();
        batch
            .apply(vec![(
                2,
                person(11, "张三", MEIYUAN_1, "肢体", "二级", (1980, 5, 6)),
            )])
            .await
            .unwrap();
        batch.commit(1, 0).await.unwrap();
        assert_eq!(index_definitions(&store).await, migrated);
        let dup = store
            .persons()
            .create(
                &county,
                person(11, "张三", MEIYUAN_1, "肢体", "二级", (1980, 5, 6)),
                Source::Web,
            )
            .await;
        assert!(dup.is_err());
        // The next import is not a bulk load: it matches the file already there.
        let mut batch = store
            .persons()
            .begin_import(&county, "b.csv")
            .await
            .unwrap();
        let out = batch
            .apply(vec![(
                2,
                person(11, "张三", MEIYUAN_1, "肢体", "二级", (1980, 5, 6)),
            )])
            .await
            .unwrap();
        assert_eq!(out, vec![(2, RowOutcome::Unchanged)]);
        batch.commit(1, 0).await.unwrap();
    }
);

contract!(
    a_legacy_number_is_converted_and_remembered_on_import,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        let mut input = PersonInput::default();
        input.set(Field::IdNumber, "320102490101001");
        input.set(Field::Name, "老张");
        input.set(Field::HouseholdCode, MEIYUAN_1);
        input.set(Field::Category, "肢体");
        input.set(Field::Grade, "三级");
        let legacy = validate(&input, RegionTable::jiangsu()).unwrap();
        let others: Vec<(usize, Person)> = (0..3)
            .map(|i| {
                (
                    3 + i,
                    person(
                        21 + 2 * i as u16,
                        "李四",
                        MEIYUAN_2,
                        "视力",
                        "一级",
                        (1970, 1, 1),
                    ),
                )
            })
            .collect();
        let mut batch = store
            .persons()
            .begin_import(&county, "old.xls")
            .await
            .unwrap();
        let mut rows = vec![(2, legacy.clone())];
        rows.extend(others);
        batch.apply(rows).await.unwrap();
        batch.commit(4, 0).await.unwrap();
        let rec = store
            .persons()
            .get(&county, &legacy.id_number)
            .await
            .unwrap();
        assert_eq!(rec.person.legacy_id.as_deref(), Some("320102490101001"));
        let h = store.persons().history(&county, &rec).await.unwrap();
        assert!(h.iter().any(|e| e.field == "legacy_id"
            && e.before.as_deref() == Some("320102490101001")
            && e.after.as_deref() == Some(legacy.id_number.as_str())));
    }
);

contract!(
    any_text_survives_a_bulk_insert_unchanged,
    |db: TestDb| async move {
        let store = db.open().await;
        let county = user(&store, "xw", Role::County, "320102000000").await;
        // PostgreSQL receives each column as one array literal: quotes, backslashes, commas,
        // braces and the word NULL must come back as they went in, and absent values as absent.
        let awkward = [
            r#"梅园新村"东"区\3栋,{1}单元 NULL"#,
            "NULL",
            r#"\""#,
            "  前后空格已去  ",
            "制表\t与换行\n在中间",
        ];
        let mut rows = Vec::new();
        for (i, address) in awkward.iter().enumerate() {
            let mut p = person(
                31 + 2 * i as u16,
                "王五",
                MEIYUAN_1,
                "听力",
                "四级",
                (1990, 2, 3),
            );
            p.address = Some((*address).to_owned());
            p.guardian_name = (i % 2 == 0).then(|| "王大".to_owned());
            rows.push((2 + i, p));
        }
        // A legacy number among them: its row's id comes back from the same statement.
        let mut input = PersonInput::default();
        input.set(Field::IdNumber, "320102490101001");
        input.set(Field::Name, "老张");
        input.set(Field::HouseholdCode, MEIYUAN_1);
        input.set(Field::Category, "肢体");
        input.set(Field::Grade, "三级");
        input.set(Field::Address, r#"a"b"#);
        rows.push((9, validate(&input, RegionTable::jiangsu()).unwrap()));
        let expected: Vec<Person> = rows.iter().map(|(_, p)| p.clone()).collect();
        let mut batch = store
            .persons()
            .begin_import(&county, "a.csv")
            .await
            .unwrap();
        let out = batch.apply(rows).await.unwrap();
        assert!(
            out.iter().all(|(_, o)| *o == RowOutcome::Inserted),
            "{out:?}"
        );
        batch.commit(5, 0).await.unwrap();
        for p in expected {
            let rec = store.persons().get(&county, &p.id_number).await.unwrap();
            assert_eq!(rec.person, p);
        }
        let legacy = IdNumber::parse("320102194901010013").unwrap();
        let rec = store.persons().get(&county, &legacy).await.unwrap();
        let h = store.persons().history(&county, &rec).await.unwrap();
        assert!(h.iter().any(|e| e.field == "legacy_id"), "{h:?}");
    }
);

/// SQLite's 0019 rebuilds `persons` (a NOT NULL cannot be dropped in place): run again on a
/// registry with files, history and grants, it keeps every row, every index and every
/// reference, and leaves foreign keys on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_rebuild_of_persons_keeps_every_row_and_reference() {
    use sqlx::Row;
    let db = TestDb::new(crate::Backend::Sqlite).await.unwrap();
    let store = db.open().await;
    let clerk = user(&store, "xw", Role::County, "320102000000").await;
    for seq in 1..=3 {
        let p = person(seq, "张三", MEIYUAN_1, "肢体", "二级", (1980, 5, 6));
        let mut changed = store
            .persons()
            .create(&clerk, p, Source::Web)
            .await
            .unwrap()
            .person;
        changed.phone = Some("13800000000".into());
        store
            .persons()
            .update(&clerk, changed, Source::Web)
            .await
            .unwrap();
    }
    let indexes = index_definitions(&store).await;
    let history = |store: &Store| {
        let pool = store.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM person_history")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let before = history(&store).await;
    let mut conn = store.pool().acquire().await.unwrap();
    // 0019 ran before 0034 added the indicators' triggers, which name `persons` (SQLite
    // refuses to rename a table over a trigger that reads another): a rebuild drops them
    // first and makes them again after, as a later rebuild must.
    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_indicators_%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(!triggers.is_empty());
    for (name, _) in &triggers {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TRIGGER {name}")))
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::raw_sql(include_str!(
        "../migrations/sqlite/0019_persons_unassessed.sql"
    ))
    .execute(&mut *conn)
    .await
    .unwrap();
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(fk, 1, "foreign keys are on again");
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{} broken references", broken.len());
    for (_, sql) in &triggers {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    drop(conn);
    assert_eq!(index_definitions(&store).await, indexes);
    assert_eq!(history(&store).await, before);
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM persons WHERE phone = '13800000000'")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(n, 3);
}
