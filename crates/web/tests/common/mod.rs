//! A real server on a free port, with a fresh database, spoken to over HTTP.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use anju_domain::Role;
use anju_store::testing::{ADMIN_PASSWORD, TestDb};
use anju_store::{NewUser, SessionKind, Store};
use reqwest::redirect::Policy;
use tokio::net::TcpListener;

#[allow(unused_imports)]
pub use anju_store::contract;
pub use anju_store::testing::TestDb as Db;

pub const ADMIN_PW: &str = ADMIN_PASSWORD;

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub db: TestDb,
}

impl TestApp {
    pub async fn spawn(db: TestDb) -> TestApp {
        Self::spawn_with(db, |_| {}).await
    }

    /// A server whose `App` is adjusted first (settings a test needs).
    pub async fn spawn_with(db: TestDb, adjust: impl FnOnce(&mut anju_web::App)) -> TestApp {
        let store = db.open().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let work = std::env::temp_dir().join(format!(
            "anju-web-test-{}-{}",
            std::process::id(),
            addr.port()
        ));
        let mut app = anju_web::App::new(store.clone(), false, work);
        adjust(&mut app);
        tokio::spawn(async move { anju_web::serve(listener, app).await });
        TestApp {
            base: format!("http://{addr}"),
            store,
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        region: &str,
        pw: Option<&str>,
    ) -> Option<String> {
        let admin = self.store.users().local_scope("admin").await.unwrap();
        let (_, generated) = self
            .store
            .users()
            .create(
                &admin,
                NewUser {
                    username: name.into(),
                    role,
                    region: region.into(),
                    password: pw.map(str::to_owned),
                },
            )
            .await
            .unwrap();
        generated
    }

    /// Logs in through the login form, as a browser would. Returns the response to the POST.
    pub async fn login_form(&self, c: &reqwest::Client, user: &str, pw: &str) -> reqwest::Response {
        let page = c
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf");
        c.post(self.url("/login"))
            .form(&[
                ("username", user),
                ("password", pw),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap()
    }

    /// A logged-in browser client and its session's CSRF token.
    pub async fn browser(&self, user: &str, pw: &str) -> (reqwest::Client, String) {
        let c = Self::client();
        let res = self.login_form(&c, user, pw).await;
        assert_eq!(res.status(), 303, "login of {user} failed");
        let home = c
            .get(self.url("/password"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&home, "csrf");
        (c, csrf)
    }

    /// A bearer token through the API.
    pub async fn token(&self, user: &str, pw: &str) -> String {
        let res = Self::client()
            .post(self.url("/api/login"))
            .json(&serde_json::json!({"username": user, "password": pw}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "API login of {user} failed");
        let v: serde_json::Value = res.json().await.unwrap();
        v["token"].as_str().unwrap().to_owned()
    }

    /// A session made directly in the store: (token, csrf), for wide access-matrix sweeps.
    pub async fn session(&self, user: &str, pw: &str, kind: SessionKind) -> (String, String) {
        let ok = self
            .store
            .sessions()
            .login(user, pw, "127.0.0.1", kind)
            .await
            .unwrap()
            .unwrap();
        (ok.token, ok.csrf_token)
    }

    /// GET `path` with a bearer token, and the JSON body.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, token: &str, path: &str) -> T {
        Self::client()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// GET `path` in a browser session, and the page's text.
    pub async fn page(&self, c: &reqwest::Client, path: &str) -> String {
        c.get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Files a person as the administrator, from fields as a sheet row gives them.
    pub async fn add_person(
        &self,
        fields: &[(anju_domain::person::Field, &str)],
    ) -> anju_store::PersonRecord {
        let mut input = anju_domain::person::PersonInput::default();
        for (f, v) in fields {
            input.set(*f, v);
        }
        let p = anju_domain::person::validate(&input, anju_domain::RegionTable::jiangsu()).unwrap();
        let admin = self.store.users().local_scope("admin").await.unwrap();
        self.store
            .persons()
            .create(&admin, p, anju_store::Source::Web)
            .await
            .unwrap()
    }
}

/// The value of the first hidden input named `name` in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no hidden {name} in page"))
        + needle.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// Follows an import job's page until it has finished (completed, or refused by strict mode);
/// its last page.
pub async fn finished_job(app: &TestApp, c: &reqwest::Client, job: &str) -> String {
    for _ in 0..400 {
        let page = c
            .get(app.url(job))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains("导入完成") || page.contains("未写入") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the job {job} did not finish");
}
