//! Employment services' contract (seekers, postings, matching, the service chain, training),
//! on SQLite and (when asked) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use anju_domain::Role;
use anju_domain::id_number::IdNumber;
use anju_domain::jobs::{PostingInput, SeekerInput};
use anju_domain::training::CourseInput;

use crate::programmes_tests::{d, file, user};
use crate::testing::TestDb;
use crate::{ManualClock, PlacementInput, StoreError, contract};

/// Noon in Beijing on `day`, in milliseconds.
fn ms(day: &str) -> i64 {
    d(day)
        .and_hms_opt(4, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn seeker(wanted: &str, region: &str) -> SeekerInput {
    SeekerInput {
        wanted: wanted.into(),
        skills: "电脑操作".into(),
        region_code: region.into(),
        hours: "全日制".into(),
        min_wage: "2500".into(),
    }
}

fn posting(post: &str, region: &str, categories: &str, wage: &str) -> PostingInput {
    PostingInput {
        employer_name: format!("{post}单位"),
        post: post.into(),
        openings: "1".into(),
        wage: wage.into(),
        region_code: region.into(),
        hours: "均可".into(),
        skills: "电脑操作".into(),
        categories: categories.into(),
        accessible: "是".into(),
        ..Default::default()
    }
}

// Wuzhong district (320506), two of its towns, and another district (Xiangcheng 320507).
const TOWN_A: &str = "320506001000";
const VILLAGE_A: &str = "320506001012";
const TOWN_B: &str = "320506003000";
const VILLAGE_B: &str = "320506003001";
const OTHER_COUNTY: &str = "320507001002";

contract!(
    seekers_and_postings_match_with_reasons_within_scope,
    |db: TestDb| async move {
        let store = db
            .open_with(Arc::new(ManualClock::new(ms("2025-06-02"))))
            .await;
        let county = user(&store, "wz", Role::County, "320506000000").await;
        let town_a = user(&store, "za", Role::Town, TOWN_A).await;
        let town_b = user(&store, "zb", Role::Town, TOWN_B).await;
        let village = user(&store, "ca", Role::Village, VILLAGE_A).await;
        let jobs = store.jobs();
        let limb = IdNumber::compose("320506", d("1990-02-03"), 1).unwrap();
        let deaf = IdNumber::compose("320506", d("1988-07-08"), 2).unwrap();
        let old = IdNumber::compose("320506", d("1950-01-01"), 3).unwrap();
        let a = file(&store, &limb, VILLAGE_A, Some(("肢体", "三级"))).await;
        let b = file(&store, &deaf, VILLAGE_B, Some(("听力", "二级"))).await;
        let o = file(&store, &old, VILLAGE_A, Some(("肢体", "四级"))).await;

        // The village worker registers; bad input names its fields; the aged are refused.
        let bad = jobs
            .register(&village, a, &SeekerInput::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&bad, StoreError::Invalid(m) if m.contains("意向岗位") && m.contains("意向地区")),
            "{bad:?}"
        );
        let aged = jobs.register(&village, o, &seeker("客服", "320506")).await;
        assert!(matches!(aged, Err(StoreError::Invalid(m)) if m.contains("劳动年龄")));
        let s = jobs
            .register(&village, a, &seeker("客服", "320506"))
            .await
            .unwrap();
        assert_eq!(
            (s.status.as_str(), s.disability.as_str()),
            ("seeking", "肢体残疾三级")
        );
        assert!(
            s.id_number.contains('*'),
            "a village worker sees a masked number"
        );
        // The other town's person is outside the village worker's subtree.
        assert!(matches!(
            jobs.register(&village, b, &seeker("客服", "320506")).await,
            Err(StoreError::NotFound(_))
        ));
        jobs.register(&town_b, b, &seeker("包装", "320506"))
            .await
            .unwrap();

        // Postings: a village worker may not post; a town posts only in its subtree.
        assert!(matches!(
            jobs.post(&village, &posting("客服", VILLAGE_A, "", "3000"))
                .await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            jobs.post(&town_a, &posting("客服", TOWN_B, "", "3000"))
                .await,
            Err(StoreError::Forbidden)
        ));
        let near = jobs
            .post(&town_a, &posting("电话客服", TOWN_A, "肢体", "3000"))
            .await
            .unwrap();
        let county_wide = jobs
            .post(&county, &posting("网店客服", "320506000000", "", "3500"))
            .await
            .unwrap();
        let far = jobs
            .post(&town_b, &posting("客服专员", TOWN_B, "", "5000"))
            .await
            .unwrap();
        let deaf_only = jobs
            .post(&town_a, &posting("客服", TOWN_A, "听力", "4000"))
            .await
            .unwrap();
        let low = jobs
            .post(&town_a, &posting("客服", TOWN_A, "", "2000"))
            .await
            .unwrap();
        let _elsewhere = jobs
            .post(&county, &posting("客服", TOWN_A, "", "2600"))
            .await
            .unwrap();

        // What each sees: a town sees its own and the county's, never the next town's.
        let seen: Vec<i64> = jobs
            .postings(&town_a, true)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        assert!(seen.contains(&near) && seen.contains(&county_wide));
        assert!(!seen.contains(&far));
        assert!(matches!(
            jobs.posting(&town_a, far).await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(jobs.postings(&county, true).await.unwrap().len(), 6);

        // For the limb-disabled seeker, as the county sees it: ranked by the reasons.
        let m = jobs.matches_for_seeker(&county, a).await.unwrap();
        let ids: Vec<i64> = m.iter().map(|x| x.posting.id).collect();
        assert!(
            !ids.contains(&deaf_only),
            "a post for the deaf does not fit"
        );
        assert!(!ids.contains(&low), "a wage below the wish does not fit");
        // near: 30 wanted + 20 skill + 15 same town + 10 accessible + 10 suits + 5 wage = 90;
        // the town's posting of 2600: 80; the next town's and the county-wide one: 73 each
        // (同县 in place of 同镇, no 适合), the higher wage first.
        assert_eq!(ids.len(), 4);
        assert_eq!(ids[0], near);
        let scores: Vec<u32> = m.iter().map(|x| x.fit.score).collect();
        assert_eq!(scores, [90, 80, 73, 73]);
        assert_eq!(m[0].fit.reasons[0].text, "意向岗位相符：客服");
        assert_eq!(&ids[2..], [far, county_wide]);
        // As the town sees it: the next town's posting is not among them.
        let ids: Vec<i64> = jobs
            .matches_for_seeker(&town_a, a)
            .await
            .unwrap()
            .iter()
            .map(|x| x.posting.id)
            .collect();
        assert!(!ids.contains(&far) && ids.contains(&near));

        // For a posting: the seekers of the user's subtree that it fits.
        let m = jobs.matches_for_posting(&county, deaf_only).await.unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].seeker.person_id, b);
        assert!(
            jobs.matches_for_posting(&town_a, deaf_only)
                .await
                .unwrap()
                .is_empty()
        );
        let m = jobs
            .matches_for_posting(&county, county_wide)
            .await
            .unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(
            m[0].seeker.person_id, a,
            "wanted work and skills rank first"
        );

        // Every seeker's count of fitting postings and best score at once.
        let counts = jobs.match_counts(&county).await.unwrap();
        assert_eq!(counts[&a], (4, 90));
        // The deaf seeker: the post for the deaf scores 8 同县 + 20 技能 + 10 适合 + 5 工资.
        assert_eq!(counts[&b], (4, 43));
        let counts = jobs.match_counts(&town_a).await.unwrap();
        assert_eq!(counts.len(), 1, "the town's own seekers");
        assert_eq!(
            counts[&a].0, 3,
            "the next town's posting is not the town's to see"
        );
        // Many at once: the same checks, one transaction.
        let many: Vec<_> = ["保洁", "仓管"]
            .iter()
            .map(|p| {
                posting(p, TOWN_A, "", "3000")
                    .validate(anju_domain::RegionTable::jiangsu(), d("2025-06-02"))
                    .unwrap()
            })
            .collect();
        assert!(matches!(
            jobs.post_many(&town_b, &many).await,
            Err(StoreError::Forbidden)
        ));
        assert_eq!(jobs.post_many(&county, &many).await.unwrap(), 2);
        assert_eq!(jobs.postings(&county, true).await.unwrap().len(), 8);

        // Seekers listed are the subtree's only.
        assert_eq!(jobs.seekers(&town_a, None).await.unwrap().len(), 1);
        assert_eq!(
            jobs.seekers(&county, Some("seeking")).await.unwrap().len(),
            2
        );
    }
);

contract!(
    a_placement_is_visited_on_schedule_and_adjusted_when_it_fails,
    |db: TestDb| async move {
        let clock = Arc::new(ManualClock::new(ms("2025-03-10")));
        let store = db.open_with(clock.clone()).await;
        let county = user(&store, "wz", Role::County, "320506000000").await;
        let town_a = user(&store, "za", Role::Town, TOWN_A).await;
        let village = user(&store, "ca", Role::Village, VILLAGE_A).await;
        let other = user(&store, "xc", Role::County, "320507000000").await;
        let jobs = store.jobs();
        let id = IdNumber::compose("320506", d("1990-02-03"), 1).unwrap();
        let second = IdNumber::compose("320506", d("1991-02-03"), 2).unwrap();
        let p = file(&store, &id, VILLAGE_A, Some(("肢体", "三级"))).await;
        let q = file(&store, &second, VILLAGE_A, Some(("肢体", "三级"))).await;
        let _x = file(
            &store,
            &IdNumber::compose("320507", d("1990-01-01"), 3).unwrap(),
            OTHER_COUNTY,
            None,
        )
        .await;
        jobs.register(&village, p, &seeker("客服", "320506"))
            .await
            .unwrap();
        jobs.register(&village, q, &seeker("客服", "320506"))
            .await
            .unwrap();
        let post = jobs
            .post(&town_a, &posting("电话客服", TOWN_A, "", "3000"))
            .await
            .unwrap();

        // Steps by hand: the village worker records a developed post and a referral.
        jobs.record_step(&village, p, "定岗", "2025-03-01", "走访企业开发客服岗位")
            .await
            .unwrap();
        assert!(matches!(
            jobs.record_step(&village, p, "回访", "2025-03-01", "").await,
            Err(StoreError::Invalid(m)) if m.contains("服务环节")
        ));
        assert!(matches!(
            jobs.record_step(&village, p, "推荐", "2025-04-01", "").await,
            Err(StoreError::Invalid(m)) if m.contains("晚于今天")
        ));
        // The village worker cannot place; the town can.
        let input = PlacementInput {
            posting_id: Some(post),
            form: "按比例".into(),
            date: "2025-03-10".into(),
            note: "推荐至电话客服岗位".into(),
            ..Default::default()
        };
        assert!(matches!(
            jobs.place(&village, p, &input).await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            jobs.place(&other, p, &input).await,
            Err(StoreError::NotFound(_))
        ));
        let placed = jobs.place(&town_a, p, &input).await.unwrap();
        // The posting had one opening: the next person is refused, and it no longer matches.
        assert!(matches!(
            jobs.place(&town_a, q, &input).await,
            Err(StoreError::Invalid(m)) if m.contains("已安置满")
        ));
        assert!(
            jobs.matches_for_seeker(&county, q)
                .await
                .unwrap()
                .is_empty()
        );
        // The file records the work; the registration is placed.
        let h = store.employment().history(&county, p).await.unwrap();
        assert_eq!(h[0].status.form.label(), "按比例");
        assert_eq!(h[0].status.employer_name, "电话客服单位");
        assert_eq!(
            jobs.seeker(&county, p).await.unwrap().unwrap().status,
            "placed"
        );

        // Visits: not yet on the worklist; from 2025-04-03 the first (due 04-10) is.
        let kinds = |w: &crate::Worklist| w.items.iter().filter(|i| i.kind == "job_visit").count();
        assert_eq!(kinds(&store.worklist(&village).await.unwrap()), 0);
        clock.advance_secs(24 * 3600 * 24); // 2025-04-03
        let w = store.worklist(&village).await.unwrap();
        let item = w.items.iter().find(|i| i.kind == "job_visit").unwrap();
        assert_eq!(item.due, Some(d("2025-04-10")));
        assert!(!item.overdue);
        assert_eq!(
            kinds(&store.worklist(&other).await.unwrap()),
            0,
            "another county's list is its own"
        );
        let due = jobs.due_visits(&village).await.unwrap();
        assert_eq!((due.len(), due[0].visit.no), (1, 1));
        assert!(matches!(
            jobs.record_visit(&village, placed, 4, "2025-04-03", "").await,
            Err(StoreError::Invalid(m)) if m.contains("回访次序")
        ));
        assert!(matches!(
            jobs.record_visit(&village, placed, 1, "2025-03-01", "").await,
            Err(StoreError::Invalid(m)) if m.contains("早于安置日期")
        ));
        jobs.record_visit(&village, placed, 1, "2025-04-03", "工作稳定")
            .await
            .unwrap();
        assert!(matches!(
            jobs.record_visit(&village, placed, 1, "2025-04-03", "").await,
            Err(StoreError::Invalid(m)) if m.contains("已登记")
        ));
        assert!(jobs.due_visits(&village).await.unwrap().is_empty());
        // Past the second's date (06-10) it is overdue.
        clock.advance_secs(24 * 3600 * 70); // 2025-06-12
        let due = jobs.due_visits(&county).await.unwrap();
        assert_eq!((due[0].visit.no, due[0].overdue), (2, true));

        // The placement fails: 未就业 on the file, adjustment, the seeker seeks again.
        assert!(matches!(
            jobs.fail(&town_a, placed, "2025-06-01", "", "").await,
            Err(StoreError::Invalid(m)) if m.contains("未就业原因")
        ));
        jobs.fail(&town_a, placed, "2025-06-01", "岗位不适应", "家庭供养")
            .await
            .unwrap();
        assert!(matches!(
            jobs.fail(&town_a, placed, "2025-06-01", "岗位不适应", "家庭供养").await,
            Err(StoreError::Invalid(m)) if m.contains("已登记为失败")
        ));
        assert!(
            jobs.due_visits(&county).await.unwrap().is_empty(),
            "a failed placement is not visited"
        );
        let h = store.employment().history(&county, p).await.unwrap();
        assert_eq!(h[0].status.form.label(), "未就业");
        assert_eq!(
            jobs.seeker(&county, p).await.unwrap().unwrap().status,
            "seeking"
        );
        let chain = jobs.chain(&county, p).await.unwrap();
        let kinds: Vec<&str> = chain.steps.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["adjustment", "visit", "referral", "post"]);
        assert_eq!(chain.placements[0].status, "failed");
        assert_eq!(
            chain.placements[0].visits.len(),
            1,
            "only the visit made remains"
        );
        // The opening is free again: the second person can be placed.
        jobs.place(
            &town_a,
            q,
            &PlacementInput {
                date: "2025-06-12".into(),
                ..input
            },
        )
        .await
        .unwrap();
    }
);

contract!(
    training_counts_those_who_finished_in_the_year,
    |db: TestDb| async move {
        let store = db
            .open_with(Arc::new(ManualClock::new(ms("2025-12-01"))))
            .await;
        let county = user(&store, "wz", Role::County, "320506000000").await;
        let town_a = user(&store, "za", Role::Town, TOWN_A).await;
        let town_b = user(&store, "zb", Role::Town, TOWN_B).await;
        let village = user(&store, "ca", Role::Village, VILLAGE_A).await;
        let t = store.training();
        let a = IdNumber::compose("320506", d("1990-02-03"), 1).unwrap();
        let b = IdNumber::compose("320506", d("1991-02-03"), 2).unwrap();
        let x = IdNumber::compose("320507", d("1991-02-03"), 3).unwrap();
        file(&store, &a, VILLAGE_A, Some(("肢体", "三级"))).await;
        file(&store, &b, VILLAGE_B, Some(("视力", "二级"))).await;
        file(&store, &x, OTHER_COUNTY, Some(("视力", "二级"))).await;
        let course = |name: &str, region: &str, ends: &str| CourseInput {
            name: name.into(),
            kind: "职业技能培训".into(),
            provider: "吴中区职业培训中心".into(),
            region_code: region.into(),
            starts_on: "2025-03-01".into(),
            ends_on: ends.into(),
            hours: "40".into(),
        };
        assert!(matches!(
            t.create(&village, &course("盲人按摩", "320506", "2025-04-01"))
                .await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            t.create(&town_a, &course("盲人按摩", "320506", "2025-04-01"))
                .await,
            Err(StoreError::Forbidden)
        ));
        let c = t
            .create(&county, &course("盲人按摩", "320506", "2025-04-01"))
            .await
            .unwrap();
        let town_course = t
            .create(&town_a, &course("电商", TOWN_A, "2026-01-10"))
            .await
            .unwrap();
        // Attendance: within the course's region and the user's subtree; hours bounded.
        t.attend(&village, c, a.as_str(), "40", "是").await.unwrap();
        assert!(matches!(
            t.attend(&village, c, b.as_str(), "40", "是").await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            t.attend(&county, c, a.as_str(), "41", "是").await,
            Err(StoreError::Invalid(m)) if m.contains("出勤课时")
        ));
        assert!(matches!(
            t.attend(&town_a, town_course, b.as_str(), "4", "否").await,
            Err(StoreError::NotFound(_))
        ));
        let admin = store.users().local_scope("admin").await.unwrap();
        assert!(matches!(
            t.attend(&admin, c, x.as_str(), "4", "否").await,
            Err(StoreError::Invalid(m)) if m.contains("户籍不在")
        ));
        t.attend(&town_b, c, b.as_str(), "30", "否").await.unwrap();
        // Corrected: b finished after all (one row, not two).
        t.attend(&county, c, b.as_str(), "40", "是").await.unwrap();
        t.attend(&town_a, town_course, a.as_str(), "20", "是")
            .await
            .unwrap();
        // The town sees the county's course with its own people only; not the next town's.
        let (course_a, people) = t.course(&town_a, c).await.unwrap();
        assert_eq!((course_a.enrolled, people.len()), (1, 1));
        assert!(matches!(
            t.course(&town_b, town_course).await,
            Err(StoreError::NotFound(_))
        ));
        let listed = t.courses(&county, Some(2025)).await.unwrap();
        assert_eq!(listed.len(), 1, "a course ending in 2026 is not 2025's");
        assert_eq!((listed[0].enrolled, listed[0].completed), (2, 2));
        // Trained in 2025: one per town; a in 2026 again does not count twice anywhere.
        let n = t.trained(&county, 2025, None).await.unwrap();
        let per: Vec<(&str, i64)> = n.iter().map(|x| (x.town_code.as_str(), x.people)).collect();
        assert_eq!(per, [(TOWN_A, 1), (TOWN_B, 1)]);
        assert_eq!(t.trained(&town_a, 2026, None).await.unwrap()[0].people, 1);
        assert_eq!(
            t.trained(&county, 2025, Some(TOWN_B)).await.unwrap().len(),
            1
        );
    }
);
