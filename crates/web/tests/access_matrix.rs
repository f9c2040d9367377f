//! The access matrix: every route × every role × every region relation (own, child,
//! sibling, parent) is allowed or denied as the table below says. A new route is not done
//! until it has a row here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use anju_domain::{Region, RegionTable, Role};
use anju_store::SessionKind;
use common::{Db, TestApp, contract};
use reqwest::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    Own,
    Child,
    Sibling,
    Parent,
}

const RELS: [Rel; 4] = [Rel::Own, Rel::Child, Rel::Sibling, Rel::Parent];

fn inside(rel: Rel) -> bool {
    matches!(rel, Rel::Own | Rel::Child)
}

/// Who may use a route: given the role and, for routes about a region, the relation.
type Rule = fn(Role, Option<Rel>) -> bool;

struct Route {
    method: Method,
    /// `{code}`: the target region; `{user}`: an account bound at the target region.
    path: &'static str,
    api: bool,
    body: Option<&'static str>,
    rule: Rule,
}

fn any_role(_: Role, _: Option<Rel>) -> bool {
    true
}
fn in_subtree(_: Role, r: Option<Rel>) -> bool {
    r.is_some_and(inside)
}
fn admin_only(role: Role, _: Option<Rel>) -> bool {
    role == Role::Admin
}
fn admin_in_subtree(role: Role, r: Option<Rel>) -> bool {
    role == Role::Admin && r.is_some_and(inside)
}
fn auditor_only(role: Role, _: Option<Rel>) -> bool {
    role == Role::Auditor
}

fn routes() -> Vec<Route> {
    let r = |method: Method, path, api, body, rule| Route {
        method,
        path,
        api,
        body,
        rule,
    };
    vec![
        r(Method::GET, "/", false, None, any_role),
        r(Method::GET, "/password", false, None, any_role),
        r(Method::GET, "/regions", false, None, any_role),
        r(Method::GET, "/regions/{code}", false, None, in_subtree),
        r(Method::GET, "/users", false, None, admin_only),
        r(Method::GET, "/users/new", false, None, admin_only),
        r(
            Method::POST,
            "/users/{user}/disable",
            false,
            Some(""),
            admin_in_subtree,
        ),
        r(
            Method::POST,
            "/users/{user}/enable",
            false,
            Some(""),
            admin_in_subtree,
        ),
        r(
            Method::POST,
            "/users/{user}/reset-password",
            false,
            Some(""),
            admin_in_subtree,
        ),
        r(Method::GET, "/audit", false, None, auditor_only),
        r(Method::GET, "/api/me", true, None, any_role),
        r(Method::GET, "/api/regions/{code}", true, None, in_subtree),
        r(
            Method::GET,
            "/api/regions/{code}/children",
            true,
            None,
            in_subtree,
        ),
        r(Method::GET, "/api/users", true, None, admin_only),
        r(
            Method::POST,
            "/api/users",
            true,
            Some(
                r#"{"username":"{new}","role":"leader","region":"{code}","password":"Matrix-Pass-2026"}"#,
            ),
            admin_in_subtree,
        ),
        r(Method::GET, "/api/audit", true, None, auditor_only),
    ]
}

/// Where each role's account sits: staff at their own tier, the others at a county.
fn home(role: Role) -> &'static str {
    match role {
        Role::City => "320100000000",
        Role::Town => "320102002000",
        Role::Village => "320102002001",
        _ => "320102000000",
    }
}

fn target(t: &RegionTable, home: &Region, rel: Rel) -> Option<String> {
    let parent = home.parent.as_ref().and_then(|p| t.get(p));
    match rel {
        Rel::Own => Some(home.code.to_string()),
        Rel::Child => t.children(&home.code).next().map(|c| c.code.to_string()),
        Rel::Sibling => parent
            .and_then(|p| t.children(&p.code).find(|c| c.code != home.code))
            .map(|c| c.code.to_string()),
        Rel::Parent => parent.map(|p| p.code.to_string()),
    }
}

fn target_user(code: &str) -> String {
    format!("t{code}")
}

contract!(every_route_role_and_relation, |db: Db| async move {
    let app = TestApp::spawn(db).await;
    let table = RegionTable::jiangsu();
    let client = TestApp::client();
    // One account per role, and a target account at every region a relation points to.
    let mut targets = std::collections::BTreeSet::new();
    for role in Role::ALL {
        let h = table.current(home(role)).unwrap();
        for rel in RELS {
            if let Some(code) = target(table, h, rel) {
                targets.insert(code);
            }
        }
    }
    for code in &targets {
        app.add_user(
            &target_user(code),
            Role::Leader,
            code,
            Some("Target-Pass-2026"),
        )
        .await;
    }
    let mut checked = 0;
    let mut counter = 0;
    for role in Role::ALL {
        let name = format!("m.{}", role.as_str());
        app.add_user(&name, role, home(role), Some("Matrix-Role-Pass-1"))
            .await;
        let (web, csrf) = app
            .session(&name, "Matrix-Role-Pass-1", SessionKind::Web)
            .await;
        let (api, _) = app
            .session(&name, "Matrix-Role-Pass-1", SessionKind::Api)
            .await;
        let h = table.current(home(role)).unwrap();
        for route in routes() {
            let regional = route.path.contains("{code}")
                || route.path.contains("{user}")
                || route.body.is_some_and(|b| b.contains("{code}"));
            let rels: Vec<Option<Rel>> = if regional {
                RELS.iter().map(|r| Some(*r)).collect()
            } else {
                vec![None]
            };
            for rel in rels {
                let code = match rel {
                    Some(r) => match target(table, h, r) {
                        Some(c) => c,
                        None => continue, // a village has no child, the province no parent
                    },
                    None => h.code.to_string(),
                };
                counter += 1;
                let path = route
                    .path
                    .replace("{code}", &code)
                    .replace("{user}", &target_user(&code));
                let mut req = client.request(route.method.clone(), app.url(&path));
                req = if route.api {
                    req.bearer_auth(&api)
                } else {
                    req.header("cookie", format!("anju_session={web}"))
                };
                if let Some(body) = route.body {
                    if route.api {
                        let b = body
                            .replace("{code}", &code)
                            .replace("{new}", &format!("n{counter}"));
                        req = req.header("content-type", "application/json").body(b);
                    } else {
                        req = req.form(&[("csrf", csrf.as_str())]);
                    }
                }
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                let location = res
                    .headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_owned());
                let allowed = matches!(status, 200 | 201 | 204)
                    || (status == 303 && !location.as_deref().unwrap_or("").starts_with("/login"));
                let denied = matches!(status, 403 | 404);
                let expect = (route.rule)(role, rel);
                assert!(
                    if expect { allowed } else { denied },
                    "{} {} as {} ({:?}): expected {}, got {} {:?}",
                    route.method,
                    path,
                    role.as_str(),
                    rel,
                    if expect { "allow" } else { "deny" },
                    status,
                    location
                );
                checked += 1;
            }
        }
    }
    // 16 routes; regional ones for up to 4 relations, for 8 roles.
    assert!(checked > 150, "only {checked} cases");

    // Without a session every protected route refuses: pages send to login, the API says 401.
    for route in routes() {
        let path = route
            .path
            .replace("{code}", "320102000000")
            .replace("{user}", "t320102000000");
        let res = client
            .request(route.method.clone(), app.url(&path))
            .send()
            .await
            .unwrap();
        if route.api {
            assert_eq!(res.status(), 401, "{path}");
        } else {
            assert_eq!(res.status(), 303, "{path}");
            assert!(
                res.headers()["location"]
                    .to_str()
                    .unwrap()
                    .starts_with("/login"),
                "{path}"
            );
        }
    }
    for public in ["/healthz", "/login", "/static/anju.css"] {
        assert_eq!(
            client.get(app.url(public)).send().await.unwrap().status(),
            200,
            "{public}"
        );
    }

    // Lists return the subtree only.
    let (api, _) = app
        .session("m.admin", "Matrix-Role-Pass-1", SessionKind::Api)
        .await;
    let users: Vec<serde_json::Value> = client
        .get(app.url("/api/users"))
        .bearer_auth(&api)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = users
        .iter()
        .map(|u| u["region_code"].as_str().unwrap())
        .collect();
    assert!(codes.iter().all(|c| c.starts_with("320102")), "{codes:?}");
    assert!(codes.contains(&"320102002000"));
    let (api, _) = app
        .session("m.auditor", "Matrix-Role-Pass-1", SessionKind::Api)
        .await;
    let audit: serde_json::Value = client
        .get(app.url("/api/audit"))
        .bearer_auth(&api)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = audit["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|e| {
        e["actor_region"]
            .as_str()
            .is_some_and(|r| r.starts_with("320102"))
    }));
});
