//! The browser suite: headless Chromium drives the real pages (log in, change the password,
//! browse regions, manage users, read the audit log, log out) and axe-core checks every page
//! against WCAG 2.1 AA, at desktop width and at 375 px. Screenshots go to `test-artifacts/`.
//!
//! Runs when `ANJU_TEST_BROWSER=1`; asked for and unable to run (no chromedriver, no
//! axe-core), it fails. `.ci/run` installs Debian's chromium and chromium-driver and axe-core.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anju_domain::Role;
use anju_store::Backend;
use common::{ADMIN_PW, Db, TestApp};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn browser() -> (Driver, Client) {
    let driver_bin = std::env::var("ANJU_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&driver_bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("ANJU_TEST_BROWSER=1 but {driver_bin} cannot start: {e}"));
    let driver = Driver(child);
    let chromium = std::env::var("ANJU_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                "--lang=zh-CN"
            ]
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => break c,
            Err(e) if Instant::now() > deadline => {
                panic!("chromedriver did not start a session: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    (driver, client)
}

fn axe_source() -> String {
    let path = std::env::var("ANJU_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace().join(".ci/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "ANJU_TEST_BROWSER=1 but axe-core is missing at {}: {e}",
            path.display()
        )
    })
}

struct Checker {
    client: Client,
    axe: String,
    shots: PathBuf,
    pages: usize,
}

impl Checker {
    /// Runs axe-core's WCAG 2.1 A and AA rules on the current page at desktop width and at
    /// 375 px, checks the page does not scroll sideways on the phone, and keeps screenshots.
    async fn check(&mut self, name: &str) {
        for (width, height, tag) in [(1280u32, 900u32, "desktop"), (375, 812, "phone")] {
            self.client.set_window_size(width, height).await.unwrap();
            self.client.execute(&self.axe, vec![]).await.unwrap();
            let result = self
                .client
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                        .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))))
                        .catch(e => done([{id: 'axe-error', impact: String(e), nodes: []}]));",
                    vec![],
                )
                .await
                .unwrap();
            let violations = result.as_array().cloned().unwrap_or_default();
            assert!(
                violations.is_empty(),
                "{name} ({tag}) has accessibility violations: {}",
                serde_json::to_string_pretty(&violations).unwrap()
            );
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(self.shots.join(format!("{name}-{tag}.png")), png).unwrap();
            if tag == "phone" {
                let overflow: Value = self
                    .client
                    .execute(
                        "return document.documentElement.scrollWidth - window.innerWidth;",
                        vec![],
                    )
                    .await
                    .unwrap();
                assert!(
                    overflow.as_i64().unwrap_or(0) <= 0,
                    "{name} scrolls sideways on a phone: {overflow}"
                );
            }
        }
        self.client.set_window_size(1280, 900).await.unwrap();
        self.pages += 1;
    }

    async fn fill(&self, id: &str, value: &str) {
        let e = self.client.find(Locator::Id(id)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    /// Clicks and waits until a new document has replaced the current one.
    async fn submit(&self, css: &str) {
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .element_id();
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.wait_for_new_document(old).await;
    }

    async fn follow(&self, link_text: &str) {
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .element_id();
        self.client
            .find(Locator::LinkText(link_text))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.wait_for_new_document(old).await;
    }

    async fn wait_for_new_document(&self, old: fantoccini::elements::ElementRef) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(html) = self.client.find(Locator::Css("html")).await
                && html.element_id() != old
            {
                let ready: Value = self
                    .client
                    .execute("return document.readyState;", vec![])
                    .await
                    .unwrap_or(Value::Null);
                if ready == "complete" {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the page did not change");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_work_and_are_accessible_in_chromium() {
    if std::env::var("ANJU_TEST_BROWSER").as_deref() != Ok("1") {
        eprintln!("browser suite not requested (ANJU_TEST_BROWSER unset)");
        return;
    }
    let axe = axe_source();
    let shots = workspace().join("test-artifacts/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let app = TestApp::spawn(Db::new(Backend::Sqlite).await.unwrap()).await;
    let initial = app
        .add_user("lin", Role::County, "320102000000", None)
        .await
        .unwrap();
    app.add_user("gu", Role::Auditor, "320000000000", Some("Calm-River-2026"))
        .await;
    let (_driver, client) = browser().await;
    let mut b = Checker {
        client,
        axe,
        shots,
        pages: 0,
    };

    // Log in with a generated password: the platform asks for a new one first.
    b.client.goto(&app.url("/login")).await.unwrap();
    b.check("login").await;
    b.fill("username", "lin").await;
    b.fill("password", "wrong-password").await;
    b.submit("main button[type=submit]").await;
    assert!(b.text().await.contains("用户名或密码不正确"));
    b.check("login-error").await;
    b.fill("username", "lin").await;
    b.fill("password", &initial).await;
    b.submit("main button[type=submit]").await;
    assert_eq!(b.path().await, "/password", "{}", b.text().await);
    b.check("password-forced").await;
    b.fill("current", &initial).await;
    b.fill("new", "Willow-Bank-2026").await;
    b.fill("confirm", "Willow-Bank-2025").await;
    b.submit("main button[type=submit]").await;
    assert!(b.text().await.contains("两次输入的新密码不一致"));
    b.check("password-error").await;
    b.fill("current", &initial).await;
    b.fill("new", "Willow-Bank-2026").await;
    b.fill("confirm", "Willow-Bank-2026").await;
    b.submit("main button[type=submit]").await;
    assert_eq!(b.path().await, "/");
    assert!(b.text().await.contains("玄武区"));
    b.check("home-county").await;

    // Browse the regions: own county, then a town, by following links.
    b.follow("查看辖区区划").await;
    assert_eq!(b.path().await, "/regions/320102000000");
    b.check("region-county").await;
    b.follow("梅园新村街道").await;
    assert_eq!(b.path().await, "/regions/320102002000");
    assert!(b.text().await.contains("梅园新村社区居委会"));
    b.check("region-town").await;
    // A sibling county is out of scope.
    b.client
        .goto(&app.url("/regions/320104000000"))
        .await
        .unwrap();
    assert!(b.text().await.contains("无权访问"));
    b.check("forbidden").await;
    b.client.goto(&app.url("/password")).await.unwrap();
    b.check("password").await;

    // Log out: the session ends and the login page says so.
    b.submit("header form button[type=submit]").await;
    assert_eq!(b.path().await, "/login");
    assert!(b.text().await.contains("您已安全退出"));
    b.check("logged-out").await;
    b.client
        .goto(&app.url("/regions/320102000000"))
        .await
        .unwrap();
    assert_eq!(b.path().await, "/login");

    // The administrator's pages.
    b.fill("username", "admin").await;
    b.fill("password", ADMIN_PW).await;
    b.submit("main button[type=submit]").await;
    b.check("home-admin").await;
    b.client.goto(&app.url("/users")).await.unwrap();
    b.check("users").await;
    b.client.goto(&app.url("/users/new")).await.unwrap();
    b.check("user-new").await;
    b.fill("username", "tang").await;
    b.fill("region", "320102002001").await;
    b.client
        .find(Locator::Css("#role option[value=village]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.submit("main button[type=submit]").await;
    assert!(b.text().await.contains("只显示这一次"));
    b.check("user-created").await;
    b.client
        .goto(&app.url("/regions/320000000000"))
        .await
        .unwrap();
    b.check("region-province").await;

    // People's files: list, search, the file, reveal, forms, import.
    let sheet = b.shots.join("../persons.csv");
    anju_jobs::generate_persons(40, 3, &sheet, app.store.today()).unwrap();
    let admin = app.store.users().local_scope("admin").await.unwrap();
    anju_jobs::import_persons(&app.store, &admin, &sheet, &Default::default(), |_| {})
        .await
        .unwrap();
    b.client.goto(&app.url("/persons")).await.unwrap();
    assert!(b.text().await.contains("共40人"));
    b.check("persons").await;
    b.fill("q", "z").await;
    b.submit("form.filters button[type=submit]").await;
    let focused = b.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("results"),
        "after a search, focus lands on the results"
    );
    b.check("persons-search").await;
    // At phone width the list is one card per person: no column is cut off.
    b.client.set_window_size(375, 800).await.unwrap();
    let row = b
        .client
        .find(Locator::Css("table.cards tbody tr"))
        .await
        .unwrap();
    assert_eq!(
        row.css_value("display").await.unwrap(),
        "block",
        "a card per person below 600 px"
    );
    let filters = b.client.find(Locator::Css("details.fold")).await.unwrap();
    assert!(
        filters.attr("open").await.unwrap().is_none(),
        "the filters fold away"
    );
    b.client.set_window_size(1280, 900).await.unwrap();
    b.client.goto(&app.url("/persons")).await.unwrap();
    let first = b.client.find(Locator::Css("tbody td a")).await.unwrap();
    let name = first.text().await.unwrap();
    b.follow(&name).await;
    assert!(b.text().await.contains("变更记录"));
    b.check("person").await;
    b.submit("main form.inline button[type=submit]").await;
    assert!(!b.text().await.contains("**********"));
    b.check("person-revealed").await;
    b.follow("修改档案").await;
    b.check("person-edit").await;
    b.fill("f-phone", "12345").await;
    b.submit("main form button[type=submit]").await;
    assert!(b.text().await.contains("联系电话“12345”无效"));
    let focused = b.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("class").await.unwrap().as_deref(),
        Some("notice error error-summary"),
        "the summary of the faults takes focus"
    );
    assert!(focused.text().await.unwrap().contains("联系电话"));
    b.check("person-edit-error").await;
    b.client.goto(&app.url("/persons/new")).await.unwrap();
    b.check("person-new").await;
    b.client.goto(&app.url("/persons/import")).await.unwrap();
    b.check("import").await;
    let upload = b.shots.join("../upload.csv");
    std::fs::write(&upload, "身份证号,姓名,残疾类别,残疾等级,户籍地区划代码\n11010519491231002X,张三,肢体,二级,320102002001\n110105194912310021,李四,视力,一级,320102002001\n").unwrap();
    let file_input = b.client.find(Locator::Id("file")).await.unwrap();
    file_input
        .send_keys(
            &std::fs::canonicalize(&upload)
                .unwrap()
                .display()
                .to_string(),
        )
        .await
        .unwrap();
    b.submit("main button[type=submit]").await;
    // The page previews first (on by default): what would be done, then 确认导入.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !b.text().await.contains("预览完成") {
        assert!(Instant::now() < deadline, "the preview did not finish");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let here = b.client.current_url().await.unwrap().to_string();
        b.client.goto(&here).await.unwrap();
    }
    b.check("import-preview").await;
    b.submit("main form button[type=submit]").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !b.text().await.contains("导入完成") {
        assert!(Instant::now() < deadline, "the import did not finish");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let here = b.client.current_url().await.unwrap().to_string();
        b.client.goto(&here).await.unwrap();
    }
    assert!(b.text().await.contains("校验位"));
    b.check("import-report").await;

    // The two subsidies: the overview, an import page, a roll with its difference from the
    // approved month before, and the recoveries.
    let ids: Vec<String> = std::fs::read_to_string(&sheet)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .next()
                .unwrap()
                .trim_start_matches('\u{feff}')
                .to_owned()
        })
        .collect();
    let write = |name: &str, text: String| {
        let p = b.shots.join(format!("../{name}.csv"));
        std::fs::write(&p, text).unwrap();
        p
    };
    let mut grants =
        String::from("身份证号,补贴类型,城乡,起始月份,银行账号,开户银行,长期照护需求\n");
    let mut statuses = String::from("身份证号,救助类型,起始月份\n");
    for (i, id) in ids.iter().enumerate() {
        grants.push_str(&format!(
            "{id},重度残疾人护理补贴,城镇,2025-01,62220202001122{i:05},工商银行,是\n"
        ));
        grants.push_str(&format!(
            "{id},困难残疾人生活补贴,农村,2025-01,62220202001122{i:05},工商银行,否\n"
        ));
        statuses.push_str(&format!("{id},低保,2024-01\n"));
    }
    let opts = anju_jobs::ImportOptions::default();
    for (table, path) in [
        (anju_jobs::Table::Dibao, write("dibao", "区划代码,城乡,月标准,生效月份\n320000000000,城镇,900,2024-01\n320000000000,农村,800,2024-01\n".into())),
        (anju_jobs::Table::Assistance, write("assistance", statuses)),
        (anju_jobs::Table::Grants, write("grants", grants)),
    ] {
        anju_jobs::import_table(&app.store, &admin, table, &path, &opts, false)
            .await
            .unwrap();
    }
    app.add_user(
        "shenhe",
        Role::Admin,
        "320000000000",
        Some("Second-Look-2026"),
    )
    .await;
    let checker = app.store.users().local_scope("shenhe").await.unwrap();
    let march = anju_domain::month::Month::parse("2025-03").unwrap();
    let subs = app.store.subsidies();
    subs.generate_roll(&admin, march, None).await.unwrap();
    subs.approve_roll(&checker, march, None).await.unwrap();
    let events = write(
        "events",
        format!("身份证号,事件,日期\n{},死亡,2025-02-10\n", ids[0]),
    );
    anju_jobs::import_table(
        &app.store,
        &admin,
        anju_jobs::Table::Events,
        &events,
        &opts,
        false,
    )
    .await
    .unwrap();
    subs.generate_roll(&admin, march.next(), None)
        .await
        .unwrap();
    b.client.goto(&app.url("/subsidies")).await.unwrap();
    assert!(b.text().await.contains("发放名册"));
    b.check("subsidies").await;
    b.client
        .goto(&app.url("/subsidies/import/grants"))
        .await
        .unwrap();
    b.check("subsidy-import").await;
    b.client
        .goto(&app.url("/subsidies/rolls/2025-04/320000000000"))
        .await
        .unwrap();
    assert!(
        b.text().await.contains("对比 2025-03"),
        "{}",
        b.text().await
    );
    b.check("roll").await;
    b.client
        .goto(&app.url("/subsidies/recoveries"))
        .await
        .unwrap();
    assert!(b.text().await.contains("死亡后仍发放"));
    b.check("recoveries").await;

    // Certificate work: the applications, one with its step form, and the calendar.
    // Reissue for the first generated holder whose card may be reissued.
    let mut renewal = None;
    for id in &ids[1..] {
        if let Ok(a) = app
            .store
            .applications()
            .apply(
                &admin,
                &anju_domain::id_number::IdNumber::parse(id).unwrap(),
                anju_domain::application::AppKind::Reissue,
                app.store.today(),
                None,
                "遗失",
            )
            .await
        {
            renewal = Some(a);
            break;
        }
    }
    let renewal = renewal.expect("a generated holder may apply for a reissue");
    b.client
        .goto(&app.url("/certificates/applications"))
        .await
        .unwrap();
    b.check("applications").await;
    b.client
        .goto(&app.url(&format!("/certificates/applications/{}", renewal.id)))
        .await
        .unwrap();
    assert!(b.text().await.contains("办理下一步"));
    b.check("application").await;
    b.client
        .goto(&app.url("/certificates/calendar?year=2025"))
        .await
        .unwrap();
    b.check("calendar").await;
    let campaign = app.store.verification().open(&admin, 2026).await.unwrap();
    b.client
        .goto(&app.url("/certificates/verification"))
        .await
        .unwrap();
    b.check("verifications").await;
    b.client
        .goto(&app.url(&format!("/certificates/verification/{}", campaign.id)))
        .await
        .unwrap();
    b.check("verification").await;
    let session = app
        .store
        .assessment_sessions()
        .schedule(
            &admin,
            app.store.today(),
            "南京市第一医院",
            "王医生、李医生",
        )
        .await
        .unwrap();
    b.client
        .goto(&app.url("/certificates/sessions"))
        .await
        .unwrap();
    b.check("sessions").await;
    b.client
        .goto(&app.url(&format!("/certificates/sessions/{}", session.id)))
        .await
        .unwrap();
    b.check("session").await;

    // Services: the programmes, who one could serve, a case and the list.
    b.client.goto(&app.url("/programmes")).await.unwrap();
    assert!(b.text().await.contains("残疾儿童康复救助"));
    b.check("programmes").await;
    let adult_rehab = app
        .store
        .programmes()
        .get(&admin, "成人社区康复")
        .await
        .unwrap();
    let on = app.store.today();
    b.client
        .goto(&app.url(&format!("/programmes/{}?date={on}", adult_rehab.id)))
        .await
        .unwrap();
    assert!(b.text().await.contains("符合条件"));
    b.check("programme").await;
    let eligible = app
        .store
        .programmes()
        .eligible(&admin, "成人社区康复", on, None)
        .await
        .unwrap();
    let case = app
        .store
        .cases()
        .open(&admin, eligible[0].person_id, "成人社区康复", on, None)
        .await
        .unwrap();
    b.client
        .goto(&app.url(&format!("/cases/{}", case.id)))
        .await
        .unwrap();
    assert!(b.text().await.contains("完成此步骤"));
    b.check("case").await;
    b.client.goto(&app.url("/cases")).await.unwrap();
    b.check("cases").await;
    b.client.goto(&app.url("/providers")).await.unwrap();
    assert!(b.text().await.contains("登记或修改服务机构"));
    b.check("providers").await;
    b.client.goto(&app.url("/settlements")).await.unwrap();
    b.check("settlements").await;
    // The services' details: a device case, the catalogue, care supervision, the homes and
    // a programme's year.
    let device = app
        .store
        .cases()
        .open(&admin, eligible[0].person_id, "辅助器具适配", on, None)
        .await
        .unwrap();
    b.client
        .goto(&app.url(&format!("/cases/{}", device.id)))
        .await
        .unwrap();
    assert!(b.text().await.contains("选定辅具"));
    b.check("case-device").await;
    b.client.goto(&app.url("/devices")).await.unwrap();
    assert!(b.text().await.contains("普通轮椅"));
    b.check("devices").await;
    b.client.goto(&app.url("/care")).await.unwrap();
    b.check("care").await;
    b.client.goto(&app.url("/homes")).await.unwrap();
    assert!(b.text().await.contains("星级评定方案"));
    b.check("homes").await;
    b.client
        .goto(&app.url(&format!("/programmes/{}/report", adult_rehab.id)))
        .await
        .unwrap();
    assert!(b.text().await.contains("合计"));
    b.check("programme-report").await;
    b.client.goto(&app.url("/levy")).await.unwrap();
    assert!(b.text().await.contains("导入申报数据"));
    b.check("levy").await;
    b.client.goto(&app.url("/employment")).await.unwrap();
    assert!(b.text().await.contains("新增就业"));
    b.check("employment").await;
    // Employment services: a posting, a registration matched to it, a placement's visits,
    // a course with its attendance.
    let worker = app
        .add_person(&[
            (anju_domain::person::Field::IdNumber, "320102199002030013"),
            (anju_domain::person::Field::Name, "王五"),
            (anju_domain::person::Field::Category, "肢体"),
            (anju_domain::person::Field::Grade, "三级"),
            (anju_domain::person::Field::HouseholdCode, "320102002001"),
        ])
        .await;
    let person = worker.id;
    let household = worker.person.household_code.to_string();
    let jobs = app.store.jobs();
    let posting = jobs
        .post(
            &admin,
            &anju_domain::jobs::PostingInput {
                employer_name: "某电子有限公司".into(),
                post: "客服".into(),
                openings: "2".into(),
                wage: "3200".into(),
                region_code: household.clone(),
                skills: "电脑操作".into(),
                accessible: "是".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    jobs.register(
        &admin,
        person,
        &anju_domain::jobs::SeekerInput {
            wanted: "客服".into(),
            skills: "电脑操作".into(),
            region_code: household[..6].to_owned(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    b.client.goto(&app.url("/jobs")).await.unwrap();
    assert!(b.text().await.contains("某电子有限公司"));
    b.check("jobs").await;
    b.client
        .goto(&app.url(&format!("/jobs/postings/{posting}")))
        .await
        .unwrap();
    assert!(b.text().await.contains("意向岗位相符"));
    b.check("job-posting").await;
    b.client
        .goto(&app.url(&format!("/jobs/seekers/{person}")))
        .await
        .unwrap();
    assert!(b.text().await.contains("安置到此岗位"));
    b.check("job-seeker").await;
    b.client.goto(&app.url("/jobs/seekers")).await.unwrap();
    b.check("job-seekers").await;
    let placed_on = app.store.today() - chrono::Days::new(40);
    jobs.place(
        &admin,
        person,
        &anju_store::PlacementInput {
            posting_id: Some(posting),
            form: "按比例".into(),
            date: placed_on.to_string(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    b.client.goto(&app.url("/jobs/visits")).await.unwrap();
    assert!(b.text().await.contains("已逾期"));
    b.check("job-visits").await;
    b.client
        .goto(&app.url(&format!("/persons/{person}#jobs-h")))
        .await
        .unwrap();
    assert!(b.text().await.contains("就业安置与跟踪回访"));
    b.check("person-jobs").await;
    let course = app
        .store
        .training()
        .create(
            &admin,
            &anju_domain::training::CourseInput {
                name: "电子商务".into(),
                kind: "创业培训".into(),
                provider: "职业培训中心".into(),
                region_code: household[..6].to_owned(),
                starts_on: placed_on.to_string(),
                ends_on: app.store.today().to_string(),
                hours: "40".into(),
            },
        )
        .await
        .unwrap();
    b.client.goto(&app.url("/training")).await.unwrap();
    assert!(b.text().await.contains("电子商务"));
    b.check("training").await;
    b.client
        .goto(&app.url(&format!("/training/{course}")))
        .await
        .unwrap();
    assert!(b.text().await.contains("登记学员出勤"));
    b.check("training-course").await;
    // Home visits: a visit found the person living alone and raised a follow-up.
    app.store
        .visits()
        .record(
            &admin,
            person,
            &anju_domain::visit::VisitInput {
                visited_on: app.store.today().to_string(),
                met: "本人".into(),
                living: "独居".into(),
                health: "较差".into(),
                income: "家庭供养".into(),
                needs: vec!["康复服务".into()],
                note: "行动不便".into(),
                followup: "请镇里协调修缮屋顶".into(),
            },
            None,
        )
        .await
        .unwrap();
    b.client.goto(&app.url("/visits")).await.unwrap();
    assert!(b.text().await.contains("独居者每季度走访"));
    b.check("visits").await;
    b.client
        .goto(&app.url(&format!("/persons/{person}/visits/new")))
        .await
        .unwrap();
    assert!(b.text().await.contains("急需解决的问题"));
    b.check("visit-form").await;
    // What is typed is kept in the browser and put back when the page is opened again.
    b.fill("note", "断网时填写").await;
    b.client.refresh().await.unwrap();
    assert!(b.text().await.contains("已恢复上次未提交的填写内容"));
    let js = |script: &'static str| b.client.execute(script, vec![]);
    assert_eq!(
        js("return document.getElementById('note').value;")
            .await
            .unwrap(),
        "断网时填写"
    );
    // Sent with no connection: it waits in the browser, then goes when the connection returns.
    let before = app
        .store
        .visits()
        .of_person(&admin, person)
        .await
        .unwrap()
        .len();
    js("Object.defineProperty(navigator, 'onLine', {configurable: true, get: function () { return false; }}); \
        ['met-self', 'living-family', 'health-fair', 'income-family'].forEach(function (id) { document.getElementById(id).checked = true; });")
        .await
        .unwrap();
    b.client
        .find(Locator::Css("form[data-keep] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(b.text().await.contains("网络未连接"));
    assert_eq!(
        js("return JSON.parse(localStorage.getItem('anju-outbox')).length;")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.store
            .visits()
            .of_person(&admin, person)
            .await
            .unwrap()
            .len(),
        before,
        "nothing sent yet"
    );
    js("Object.defineProperty(navigator, 'onLine', {configurable: true, get: function () { return true; }}); \
        window.dispatchEvent(new Event('online'));")
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !b.text().await.contains("已提交") {
        assert!(Instant::now() < deadline, "the waiting visit was not sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = app.store.visits().of_person(&admin, person).await.unwrap();
    assert_eq!(after.len(), before + 1);
    assert_eq!(after[0].visit.note, "断网时填写");
    assert_eq!(
        js("return JSON.parse(localStorage.getItem('anju-outbox')).length;")
            .await
            .unwrap(),
        0
    );
    b.client.goto(&app.url("/visits/followups")).await.unwrap();
    assert!(b.text().await.contains("请镇里协调修缮屋顶"));
    b.check("visit-followups").await;
    b.client.goto(&app.url("/needs/gaps")).await.unwrap();
    assert!(b.text().await.contains("康复服务"));
    b.check("needs-gaps").await;
    // The annual survey: the year opened, its progress, a holder's form.
    let holder = app
        .add_person(&[
            (anju_domain::person::Field::IdNumber, "320102198005060010"),
            (anju_domain::person::Field::Name, "李四"),
            (anju_domain::person::Field::Category, "视力"),
            (anju_domain::person::Field::Grade, "一级"),
            (anju_domain::person::Field::CertValidTo, "2031-05-01"),
            (anju_domain::person::Field::HouseholdCode, "320102002001"),
        ])
        .await;
    let year = chrono::Datelike::year(&app.store.today());
    app.store
        .survey()
        .open_year(&admin, year, None)
        .await
        .unwrap();
    b.client
        .goto(&app.url(&format!("/survey?year={year}")))
        .await
        .unwrap();
    assert!(b.text().await.contains("调查进度"));
    b.check("survey").await;
    b.client
        .goto(&app.url(&format!("/survey/{year}/persons/{}", holder.id)))
        .await
        .unwrap();
    assert!(b.text().await.contains("社会保障"));
    b.check("survey-form").await;
    b.client
        .goto(&app.url(&format!("/persons/{person}#visit-h")))
        .await
        .unwrap();
    assert!(b.text().await.contains("行动不便"));
    b.check("person-visits").await;
    // Cross-checks: a deaths list run, its batch with the differing rows, the tasks.
    let list = std::env::temp_dir().join(format!("anju-browser-deaths-{}.csv", std::process::id()));
    std::fs::write(
        &list,
        "公民身份号码,姓名,死亡时间\n320102199002030013,王五,2025-03-01\n320102199901010016,赵六,2025-03-02\n",
    )
    .unwrap();
    let run = anju_jobs::crosscheck::run(
        &app.store,
        &admin,
        anju_domain::crosscheck::ListKind::Deaths,
        &list,
        "死亡名单.csv",
    )
    .await
    .unwrap();
    let _ = std::fs::remove_file(&list);
    b.client.goto(&app.url("/crosscheck")).await.unwrap();
    assert!(b.text().await.contains("上传名单比对"));
    b.check("crosscheck").await;
    b.client
        .goto(&app.url(&format!("/crosscheck/{}?class=different", run.batch.id)))
        .await
        .unwrap();
    assert!(b.text().await.contains("生存状态"));
    b.check("crosscheck-batch").await;
    b.client.goto(&app.url("/crosscheck/tasks")).await.unwrap();
    assert!(b.text().await.contains("核实死亡"));
    b.check("crosscheck-tasks").await;
    // Plan indicators: the board with its chart, one indicator per town, the people behind
    // it, the targets split among towns, and the printable report.
    app.store
        .indicators()
        .set_targets(
            &admin,
            ["320102000000", "320102002000", "320102003000"]
                .iter()
                .zip(["163", "100", "50"])
                .enumerate()
                .map(|(i, (r, v))| anju_store::TargetLine {
                    row: i + 2,
                    region: (*r).into(),
                    year: year.to_string(),
                    indicator: "new_employment".into(),
                    value: v.into(),
                })
                .collect(),
            "浏览器测试",
        )
        .await
        .unwrap();
    b.client
        .goto(&app.url("/indicators?region=320102"))
        .await
        .unwrap();
    assert!(b.text().await.contains("落后于进度"));
    b.check("indicators").await;
    b.client
        .goto(&app.url("/indicators/new_employment?region=320102"))
        .await
        .unwrap();
    assert!(b.text().await.contains("历年趋势"));
    b.check("indicator").await;
    b.client
        .goto(&app.url("/indicators/holders/people?region=320102"))
        .await
        .unwrap();
    assert!(b.text().await.contains("李四"));
    b.check("indicator-people").await;
    b.client
        .goto(&app.url(&format!("/targets?region=320102&year={year}")))
        .await
        .unwrap();
    assert!(b.text().await.contains("比本级任务少13"));
    b.check("targets").await;
    b.client
        .goto(&app.url(&format!("/reports?region=320102&year={year}")))
        .await
        .unwrap();
    assert!(b.text().await.contains("玄武区残疾人工作年报"));
    b.check("report").await;
    app.store
        .dept_keys()
        .create(
            &admin,
            "玄武区民政局",
            "certificate",
            "320102000000",
            "1000",
        )
        .await
        .unwrap();
    b.client.goto(&app.url("/verify-keys")).await.unwrap();
    assert!(b.text().await.contains("玄武区民政局"));
    b.check("verify-keys").await;

    b.client.goto(&app.url("/no-such-page")).await.unwrap();
    b.check("not-found").await;
    b.submit("header form button[type=submit]").await;

    // The auditor's page.
    b.fill("username", "gu").await;
    b.fill("password", "Calm-River-2026").await;
    b.submit("main button[type=submit]").await;
    b.client.goto(&app.url("/audit")).await.unwrap();
    assert!(b.text().await.contains("创建用户"));
    b.check("audit").await;
    b.client
        .goto(&app.url("/audit?outcome=failure"))
        .await
        .unwrap();
    assert!(b.text().await.contains("密码错误"));
    b.check("audit-filtered").await;

    assert!(b.pages >= 69, "checked {} pages", b.pages);
    b.client.close().await.unwrap();
}
