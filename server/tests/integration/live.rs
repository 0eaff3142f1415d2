//! Live status through the real router: who hears of what (the policy at delivery time), a
//! contact or crew member taken off stops hearing on the open stream, a reconnection replays
//! exactly what was missed, sign-out and disabling close the stream, the per-person cap, a
//! slow client, two instances on one PostgreSQL database (with a listener outage), and the
//! `portico` binary stopping promptly with streams open.

use std::{sync::Arc, time::Duration};

use axum::{body::Body, http::Request, Router};
use chrono::{SubsecRound, Utc};
use http_body_util::BodyExt;
use portico_domain::{
    accounts::{sign_in::find_user_by_email, StaffRole},
    audit::{RequestOrigin, Stamp},
    clock::{Clock, ManualClock},
    customers, invoices, jobs, live,
    money::{LineInput, VatRate},
    policy::Actor,
    seed, DatabaseConnection,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::{self, empty_site, form, Browser, SESSION_COOKIE};

/// One event as the stream sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sse {
    id: Option<i64>,
    event: Option<String>,
    data: String,
}

impl Sse {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).expect("json data")
    }

    fn kind(&self) -> String {
        self.json()["kind"].as_str().unwrap_or_default().to_owned()
    }

    fn job(&self) -> Option<i64> {
        self.json()["job_id"].as_i64()
    }
}

/// An open `/live` response, read event by event.
struct Stream {
    body: Body,
    buffer: String,
    ended: bool,
}

impl Stream {
    /// The next event (comments and the `retry` line skipped), or `None` when nothing came
    /// within `wait` or the stream ended.
    async fn next(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = Sse {
                    id: None,
                    event: None,
                    data: String::new(),
                };
                let mut any = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        event.id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event.event = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        event.data.push_str(v.trim_start());
                        any = true;
                    }
                }
                if any {
                    return Some(event);
                }
                continue;
            }
            if self.ended {
                return None;
            }
            match tokio::time::timeout_at(deadline, self.body.frame()).await {
                Err(_) => return None,
                Ok(None) => self.ended = true,
                Ok(Some(Err(_))) => self.ended = true,
                Ok(Some(Ok(frame))) => {
                    if let Ok(bytes) = frame.into_data() {
                        self.buffer.push_str(&String::from_utf8_lossy(&bytes));
                    }
                }
            }
        }
    }

    /// News events only, up to `n` of them or until `wait` passes without one.
    async fn news(&mut self, n: usize, wait: Duration) -> Vec<Sse> {
        let mut out = Vec::new();
        while out.len() < n {
            match self.next(wait).await {
                Some(event) => out.push(event),
                None => break,
            }
        }
        out
    }

    /// True once the server has ended the response.
    async fn closed(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        while !self.ended {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            if self.next(left).await.is_none() && !self.ended {
                return false;
            }
        }
        true
    }
}

fn live_request(cookie: Option<&str>, last_event_id: Option<i64>, query: &str) -> Request<Body> {
    let mut request = Request::get(format!("/live{query}"))
        .header("host", "localhost:3000")
        .header("accept", "text/event-stream")
        .header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id.to_string());
    }
    request.body(Body::empty()).unwrap()
}

async fn open_raw(app: &Router, request: Request<Body>) -> (axum::http::StatusCode, Stream) {
    use tower::ServiceExt;
    let response = app.clone().oneshot(request).await.expect("router answers");
    let status = response.status();
    let stream = Stream {
        body: response.into_body(),
        buffer: String::new(),
        ended: false,
    };
    (status, stream)
}

async fn open(app: &Router, browser: &Browser, last_event_id: Option<i64>) -> Stream {
    let (status, mut stream) = open_raw(
        app,
        live_request(browser.cookie.as_deref(), last_event_id, ""),
    )
    .await;
    assert_eq!(status, 200);
    // Registered with the hub once its first line (the `retry`) is out.
    let first = tokio::time::timeout(Duration::from_secs(5), stream.body.frame())
        .await
        .expect("the stream starts")
        .expect("a first frame")
        .expect("no error");
    let bytes = first.into_data().map(|b| b.to_vec()).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(text.contains("retry:"), "{text}");
    stream
}

const SOON: Duration = Duration::from_secs(2);
const QUIET: Duration = Duration::from_millis(400);

struct Demo {
    app: Router,
    state: portico_server::AppState,
    clock: ManualClock,
    _site: tempfile::TempDir,
}

async fn demo(db: &DatabaseConnection) -> Demo {
    let clock = ManualClock::new(Utc::now().trunc_subsecs(0));
    seed::seed_demo_if_empty(db, clock.now())
        .await
        .expect("seed");
    let (site, root) = empty_site();
    let state = support::state_with(
        db,
        &root,
        Arc::new(clock.clone()),
        &[
            ("PORTICO_DEMO", "true"),
            ("PORTICO_LIVE_STREAMS_PER_PERSON", "3"),
        ],
    );
    Demo {
        app: portico_server::router(state.clone()),
        state,
        clock,
        _site: site,
    }
}

async fn user_id(db: &DatabaseConnection, email: &str) -> i32 {
    find_user_by_email(db, email)
        .await
        .expect("query")
        .expect("demo person")
        .id
}

fn stamp(at: chrono::DateTime<Utc>, by: i32) -> Stamp {
    Stamp::new(at, Some(by), RequestOrigin::default())
}

/// "On our way" as the crew's phone sends it, arriving an hour from now (company time).
async fn on_our_way(crew: &mut Browser, job_id: i32, now: chrono::DateTime<Utc>) {
    let eta = (now + chrono::Duration::hours(1))
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .format("%H:%M")
        .to_string();
    let reply = crew
        .call(
            "/api/jobs/change_status",
            &form(&[
                ("job_id", &job_id.to_string()),
                ("status", "en_route"),
                ("eta", &eta),
            ]),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

async fn back_to_scheduled(office: &mut Browser, job_id: i32) {
    let reply = office
        .call(
            "/api/jobs/change_status",
            &form(&[("job_id", &job_id.to_string()), ("status", "scheduled")]),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

async fn post(browser: &mut Browser, job_id: i32, body: &str) {
    let reply = browser
        .call(
            "/api/messages/post",
            &form(&[("job_id", &job_id.to_string()), ("body", body)]),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

fn kinds(events: &[Sse]) -> Vec<String> {
    events.iter().map(Sse::kind).collect()
}

#[tokio::test]
async fn each_change_reaches_exactly_the_people_allowed_to_see_it() {
    for test_db in support::migrated_databases().await {
        let db = &test_db.db;
        let d = demo(db).await;
        let now = d.clock.now();
        let mut sanne = Browser::signed_in_demo(&d.app, "sanne@deboer.example", now).await;
        let joost = Browser::signed_in_demo(&d.app, "joost@deboer.example", now).await;
        let pieter = Browser::signed_in_demo(&d.app, "pieter@smit.example", now).await;
        let mut cees = Browser::signed_in_demo(&d.app, "cees@vandijk.example", now).await;
        let ruud = Browser::signed_in_demo(&d.app, "ruud@vandijk.example", now).await;
        let olga = Browser::signed_in_demo(&d.app, "olga@vandijk.example", now).await;
        let mut s_sanne = open(&d.app, &sanne, None).await;
        let mut s_joost = open(&d.app, &joost, None).await;
        let mut s_pieter = open(&d.app, &pieter, None).await;
        let mut s_cees = open(&d.app, &cees, None).await;
        let mut s_ruud = open(&d.app, &ruud, None).await;
        let mut s_olga = open(&d.app, &olga, None).await;

        // The crew taps "on our way" on the De Boers' move (job 1).
        on_our_way(&mut cees, 1, now).await;
        for (who, stream) in [
            ("sanne (owner)", &mut s_sanne),
            ("joost (viewer)", &mut s_joost),
            ("cees (crew on the job)", &mut s_cees),
            ("olga (office)", &mut s_olga),
        ] {
            let event = stream
                .next(SOON)
                .await
                .unwrap_or_else(|| panic!("{who} hears"));
            assert_eq!(event.kind(), "job_status_changed", "{who}");
            assert_eq!(event.job(), Some(1), "{who}");
            assert!(event.id.is_some_and(|id| id > 0), "{who}: {event:?}");
        }
        assert_eq!(
            s_pieter.next(QUIET).await,
            None,
            "another customer hears nothing"
        );
        assert_eq!(
            s_ruud.next(QUIET).await,
            None,
            "crew not on the job hear nothing"
        );

        // A new arrival time from the van: the same people hear of it.
        let later = (now + chrono::Duration::minutes(90))
            .with_timezone(&chrono_tz::Europe::Amsterdam)
            .format("%H:%M")
            .to_string();
        let reply = cees
            .call(
                "/api/jobs/update_eta",
                &form(&[("job_id", "1"), ("eta", &later)]),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        for stream in [&mut s_sanne, &mut s_joost, &mut s_cees, &mut s_olga] {
            assert_eq!(
                stream.next(SOON).await.map(|e| e.kind()).as_deref(),
                Some("eta_updated")
            );
        }
        assert_eq!(s_pieter.next(QUIET).await, None);
        assert_eq!(s_ruud.next(QUIET).await, None);
        let eta = jobs::find(db, 1).await.unwrap().eta.expect("an ETA");
        assert_eq!(
            eta.with_timezone(&chrono_tz::Europe::Amsterdam)
                .format("%H:%M")
                .to_string(),
            later
        );

        // An invoice for the De Boers: owner and office, not the viewer, not the crew.
        let office_id = user_id(db, "olga@vandijk.example").await;
        let customer_id = jobs::find(db, 1).await.unwrap().customer_id;
        let draft = invoices::draft_by_hand(
            db,
            &stamp(now, office_id),
            customer_id,
            Some(1),
            vec![LineInput {
                description: "Boxes".into(),
                quantity_hundredths: 100,
                unit: "pcs".into(),
                unit_price_cents: 1500,
                vat_rate: VatRate::Standard,
            }],
        )
        .await
        .expect("draft");
        invoices::issue(
            db,
            None,
            &stamp(now, office_id),
            draft.id,
            now.date_naive(),
            "VD",
            14,
        )
        .await
        .expect("issued");
        assert_eq!(
            s_sanne.next(SOON).await.map(|e| e.kind()).as_deref(),
            Some("invoice_issued")
        );
        assert_eq!(
            s_olga.next(SOON).await.map(|e| e.kind()).as_deref(),
            Some("invoice_issued")
        );
        assert_eq!(
            s_joost.next(QUIET).await,
            None,
            "a viewer hears of no money"
        );
        assert_eq!(s_cees.next(QUIET).await, None, "crew hear of no money");
        assert_eq!(s_pieter.next(QUIET).await, None);

        // A message from the owner: everyone on the job hears, and the owner's read mark
        // reaches only the owner's own streams.
        post(&mut sanne, 1, "The piano stays, the cat comes.").await;
        for stream in [&mut s_sanne, &mut s_joost, &mut s_cees, &mut s_olga] {
            assert_eq!(
                stream.next(SOON).await.map(|e| e.kind()).as_deref(),
                Some("message_posted")
            );
        }
        let thread = sanne
            .call("/api/messages/thread", &form(&[("job_id", "1")]))
            .await;
        let newest = thread.text();
        let newest: serde_json::Value = serde_json::from_str(&newest).expect("thread");
        let newest_id = newest.as_array().and_then(|a| a.last()).unwrap()["id"]
            .as_i64()
            .unwrap();
        let mut olga = olga;
        let reply = olga
            .call(
                "/api/messages/mark_read",
                &form(&[("job_id", "1"), ("up_to", &newest_id.to_string())]),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(
            s_olga.next(SOON).await.map(|e| e.kind()).as_deref(),
            Some("messages_read")
        );
        assert_eq!(
            s_sanne.next(QUIET).await,
            None,
            "another person's read mark is theirs"
        );
        assert_eq!(s_pieter.next(QUIET).await, None);
        assert_eq!(s_ruud.next(QUIET).await, None);
        drop(olga);
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_contact_or_crew_member_taken_off_stops_hearing_on_the_open_stream() {
    for test_db in support::migrated_databases().await {
        let db = &test_db.db;
        let d = demo(db).await;
        let now = d.clock.now();
        let office_id = user_id(db, "olga@vandijk.example").await;
        let office = Actor::Staff {
            user_id: office_id,
            role: StaffRole::Office,
        };
        let mut olga = Browser::signed_in_demo(&d.app, "olga@vandijk.example", now).await;
        let pieter = Browser::signed_in_demo(&d.app, "pieter@smit.example", now).await;
        let mut s_pieter = open(&d.app, &pieter, None).await;

        // Pieter pays for Bakkerij Mulder too: he hears of its moves …
        let bakery = customers::entity::Entity::find()
            .filter(customers::entity::Column::Name.eq("Bakkerij Mulder B.V."))
            .one(db)
            .await
            .unwrap()
            .expect("the bakery");
        let bakery_job = jobs::for_customer(db, bakery.id).await.unwrap()[0].id;
        post(&mut olga, bakery_job, "The van is booked.").await;
        let heard = s_pieter
            .next(SOON)
            .await
            .expect("pieter hears of the bakery");
        assert_eq!(
            (heard.kind().as_str(), heard.job()),
            ("message_posted", Some(i64::from(bakery_job)))
        );

        // … until the office takes him off that account: his stream looks him up again and
        // tells the page to refetch, and the bakery's news stops at once.
        let pieter_id = user_id(db, "pieter@smit.example").await;
        customers::people::remove(db, &office, &stamp(now, office_id), bakery.id, pieter_id)
            .await
            .expect("removed");
        let resync = s_pieter.next(SOON).await.expect("a resync");
        assert_eq!(resync.event.as_deref(), Some("resync"));
        post(&mut olga, bakery_job, "Second van too.").await;
        assert_eq!(s_pieter.next(QUIET).await, None, "no more bakery news");
        // His own account still reaches him on the same stream.
        let own_job = jobs::for_customer(db, user_customer(db, pieter_id).await)
            .await
            .unwrap()[0]
            .id;
        post(&mut olga, own_job, "Your quote is on its way.").await;
        assert_eq!(
            s_pieter.next(SOON).await.and_then(|e| e.job()),
            Some(i64::from(own_job))
        );

        // Crew: Cees hears of job 1 until he is taken off it.
        let cees = Browser::signed_in_demo(&d.app, "cees@vandijk.example", now).await;
        let mut ruud = Browser::signed_in_demo(&d.app, "ruud@vandijk.example", now).await;
        let mut s_cees = open(&d.app, &cees, None).await;
        let mut s_ruud = open(&d.app, &ruud, None).await;
        let job = jobs::find(db, 1).await.unwrap();
        let ruud_id = user_id(db, "ruud@vandijk.example").await;
        jobs::schedule(
            db,
            &stamp(now, office_id),
            1,
            jobs::Schedule {
                date: job.confirmed_date.unwrap(),
                slot_start: job.slot_start.clone().unwrap(),
                slot_end: job.slot_end.clone().unwrap(),
                crew: vec![ruud_id],
            },
        )
        .await
        .expect("rescheduled");
        // Cees is told once (his day drops the job); Ruud hears of his new job.
        let told = s_cees.next(SOON).await.expect("cees is told");
        assert_eq!(
            (told.kind().as_str(), told.job()),
            ("schedule_changed", Some(1))
        );
        assert_eq!(
            s_ruud.next(SOON).await.map(|e| e.kind()).as_deref(),
            Some("schedule_changed")
        );
        on_our_way(&mut ruud, 1, now).await;
        assert_eq!(
            s_ruud.next(SOON).await.map(|e| e.kind()).as_deref(),
            Some("job_status_changed")
        );
        assert_eq!(
            s_cees.next(QUIET).await,
            None,
            "crew taken off hear nothing more"
        );
        test_db.finish().await;
    }
}

async fn user_customer(db: &DatabaseConnection, user_id: i32) -> i32 {
    use portico_domain::accounts::contact;
    contact::Entity::find()
        .filter(contact::Column::UserId.eq(user_id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.customer_id)
        .min()
        .expect("a contact")
}

#[tokio::test]
async fn a_reconnection_gets_exactly_the_missed_events_in_order_once() {
    for test_db in support::migrated_databases().await {
        let db = &test_db.db;
        let d = demo(db).await;
        let now = d.clock.now();
        let sanne = Browser::signed_in_demo(&d.app, "sanne@deboer.example", now).await;
        let mut olga = Browser::signed_in_demo(&d.app, "olga@vandijk.example", now).await;
        let mut stream = open(&d.app, &sanne, None).await;
        post(&mut olga, 1, "one").await;
        let first = stream.next(SOON).await.expect("first");
        drop(stream);

        // Three changes while the phone is in a tunnel, one of them not hers to see.
        post(&mut olga, 1, "two").await;
        let pieter_job = jobs::for_customer(
            db,
            user_customer(db, user_id(db, "pieter@smit.example").await).await,
        )
        .await
        .unwrap()[0]
            .id;
        post(&mut olga, pieter_job, "not for the De Boers").await;
        post(&mut olga, 1, "three").await;
        let mut cees = Browser::signed_in_demo(&d.app, "cees@vandijk.example", now).await;
        on_our_way(&mut cees, 1, now).await;

        let mut again = open(&d.app, &sanne, first.id).await;
        let missed = again.news(10, QUIET).await;
        assert_eq!(
            kinds(&missed),
            ["message_posted", "message_posted", "job_status_changed"],
            "{missed:?}"
        );
        let ids: Vec<i64> = missed.iter().filter_map(|e| e.id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
        assert!(ids[0] > first.id.unwrap());
        // What comes next arrives once, not again from the replay.
        post(&mut olga, 1, "four").await;
        let next = again.news(5, QUIET).await;
        assert_eq!(kinds(&next), ["message_posted"], "{next:?}");
        assert!(next[0].id > ids.last().copied());

        // `?after=` does the same for a page's first connection.
        let (_, mut page) = open_raw(
            &d.app,
            live_request(sanne.cookie.as_deref(), None, &format!("?after={}", ids[1])),
        )
        .await;
        let replayed = page.news(5, QUIET).await;
        assert_eq!(
            replayed.iter().filter_map(|e| e.id).collect::<Vec<_>>(),
            [ids[2], next[0].id.unwrap()]
        );

        // A gap older than what is kept: the page is told to refetch.
        live::prune(db, now + chrono::Duration::days(365))
            .await
            .expect("pruned");
        let mut stale = open(&d.app, &sanne, Some(1)).await;
        let told = stale.next(SOON).await.expect("told");
        assert_eq!(told.event.as_deref(), Some("resync"), "{told:?}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn the_stream_needs_a_session_and_closes_when_it_ends() {
    for test_db in support::migrated_databases().await {
        let db = &test_db.db;
        let d = demo(db).await;
        let now = d.clock.now();

        let (status, _) = open_raw(&d.app, live_request(None, None, "")).await;
        assert_eq!(status, 401, "anonymous");
        let mut sanne = Browser::signed_in_demo(&d.app, "sanne@deboer.example", now).await;
        let mut cross = live_request(sanne.cookie.as_deref(), None, "");
        cross
            .headers_mut()
            .insert("sec-fetch-site", "cross-site".parse().unwrap());
        let (status, _) = open_raw(&d.app, cross).await;
        assert_eq!(status, 403, "another site's page");

        // Signing out ends the stream, with a word to the page first.
        let mut stream = open(&d.app, &sanne, None).await;
        let reply = sanne.call("/api/accounts/sign_out", "").await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let told = stream.next(SOON).await.expect("told");
        assert_eq!(told.event.as_deref(), Some("signed_out"));
        assert!(stream.closed(SOON).await, "the response ends");

        // Disabling an account ends its streams too.
        let pieter = Browser::signed_in_demo(&d.app, "pieter@smit.example", now).await;
        let mut stream = open(&d.app, &pieter, None).await;
        let admin_id = user_id(db, "anna@vandijk.example").await;
        portico_domain::accounts::admin::disable_user(
            db,
            &stamp(now, admin_id),
            user_id(db, "pieter@smit.example").await,
        )
        .await
        .expect("disabled");
        assert_eq!(
            stream.next(SOON).await.and_then(|e| e.event).as_deref(),
            Some("signed_out")
        );
        assert!(stream.closed(SOON).await);

        // So does a new role: the old session never carries it.
        let ruud = Browser::signed_in_demo(&d.app, "ruud@vandijk.example", now).await;
        let mut stream = open(&d.app, &ruud, None).await;
        portico_domain::accounts::admin::change_role(
            db,
            &stamp(now, admin_id),
            user_id(db, "ruud@vandijk.example").await,
            StaffRole::Office,
        )
        .await
        .expect("role changed");
        assert_eq!(
            stream.next(SOON).await.and_then(|e| e.event).as_deref(),
            Some("signed_out")
        );
        assert!(stream.closed(SOON).await);

        // An idle session that lapses while the stream is open: the stream's next look at its
        // session (at its deadline, or when anything about the person happens) ends it.
        let joost = Browser::signed_in_demo(&d.app, "joost@deboer.example", now).await;
        let mut stream = open(&d.app, &joost, None).await;
        assert_eq!(stream.next(QUIET).await, None, "open and quiet");
        d.clock.advance(chrono::Duration::minutes(31));
        assert!(live_key_poke(db, user_id(db, "joost@deboer.example").await).await);
        assert_eq!(
            stream.next(SOON).await.and_then(|e| e.event).as_deref(),
            Some("signed_out")
        );
        assert!(stream.closed(SOON).await);
        test_db.finish().await;
    }
}

/// Asks a person's streams to recheck their session (as an access change does).
async fn live_key_poke(db: &DatabaseConnection, user_id: i32) -> bool {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await.unwrap();
    live::access_changed(&txn, Utc::now(), user_id)
        .await
        .unwrap();
    live::commit(txn).await.is_ok()
}

#[tokio::test]
async fn a_person_holds_a_few_streams_and_a_slow_one_is_dropped_to_resume() {
    let test_db = support::migrated_databases().await.remove(0);
    let db = &test_db.db;
    let d = demo(db).await;
    let now = d.clock.now();
    let sanne = Browser::signed_in_demo(&d.app, "sanne@deboer.example", now).await;
    let mut olga = Browser::signed_in_demo(&d.app, "olga@vandijk.example", now).await;

    // Three allowed (this test's setting): the fourth closes the oldest, which is told so.
    let mut oldest = open(&d.app, &sanne, None).await;
    let _second = open(&d.app, &sanne, None).await;
    let _third = open(&d.app, &sanne, None).await;
    assert_eq!(d.state.live.open_streams(), 3);
    let _fourth = open(&d.app, &sanne, None).await;
    let told = oldest.next(SOON).await.expect("told");
    assert_eq!(told.event.as_deref(), Some("superseded"));
    assert!(oldest.closed(SOON).await);
    assert_eq!(d.state.live.open_streams(), 3);
    drop((_second, _third, _fourth));

    // A client that does not read: its queue fills, the hub closes it, and it resumes from
    // its last id with nothing lost.
    let mut slow = open(&d.app, &sanne, None).await;
    let total = portico_server::live::STREAM_QUEUE + 10;
    for n in 0..total {
        post(&mut olga, 1, &format!("message {n}")).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        d.state
            .live
            .stats()
            .dropped_slow
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1
    );
    let got = slow.news(total, QUIET).await;
    assert!(
        got.len() < total && slow.ended,
        "closed after what it held: {}",
        got.len()
    );
    let last = got.last().and_then(|e| e.id);
    let mut resumed = open(&d.app, &sanne, last).await;
    let rest = resumed.news(total, QUIET).await;
    assert_eq!(got.len() + rest.len(), total, "every message once");
    test_db.finish().await;
}

#[tokio::test]
async fn two_instances_on_one_postgresql_database_share_news() {
    let Some(admin) = support::postgres_admin_url() else {
        return;
    };
    let test_db = support::fresh_postgres(&admin).await;
    portico_domain::db::migrate(&test_db.db)
        .await
        .expect("migrated");
    let a = demo(&test_db.db).await;
    // Instance B: its own pool, its own hub and listener, the same database.
    let db_b = portico_domain::db::connect(&test_db.url)
        .await
        .expect("pool B");
    let (site_b, root_b) = empty_site();
    let state_b = support::state_with(
        &db_b,
        &root_b,
        Arc::new(a.clock.clone()),
        &[("PORTICO_DEMO", "true")],
    );
    let app_b = portico_server::router(state_b.clone());
    let now = a.clock.now();
    let listening = |state: &portico_server::AppState| {
        state
            .live
            .stats()
            .listener_pid
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while listening(&state_b) == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let first_pid = listening(&state_b);
    assert!(first_pid > 0, "B listens");

    let sanne_on_b = Browser::signed_in_demo(&app_b, "sanne@deboer.example", now).await;
    let mut stream_b = open(&app_b, &sanne_on_b, None).await;
    let mut cees_on_a = Browser::signed_in_demo(&a.app, "cees@vandijk.example", now).await;
    on_our_way(&mut cees_on_a, 1, now).await;
    let heard = stream_b.next(SOON).await.expect("B hears of A's change");
    assert_eq!(
        (heard.kind().as_str(), heard.job()),
        ("job_status_changed", Some(1))
    );

    // B's listener connection is cut; the change made meanwhile through A is caught up from
    // the table once B listens again.
    use sea_orm::ConnectionTrait;
    test_db
        .db
        .execute_unprepared(&format!("SELECT pg_terminate_backend({first_pid})"))
        .await
        .expect("terminated");
    let mut olga_on_a = Browser::signed_in_demo(&a.app, "olga@vandijk.example", now).await;
    back_to_scheduled(&mut olga_on_a, 1).await;
    let caught = stream_b
        .next(Duration::from_secs(8))
        .await
        .expect("caught up");
    assert_eq!(caught.kind(), "job_status_changed");
    assert!(caught.id > heard.id);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while (listening(&state_b) == 0 || listening(&state_b) == first_pid)
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_ne!(listening(&state_b), first_pid, "a new listener connection");
    assert!(
        state_b
            .live
            .stats()
            .listener_connects
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
    );
    drop((stream_b, app_b, state_b, site_b));
    support::close(&db_b).await;
    test_db.finish().await;
}

#[test]
fn the_binary_stops_promptly_with_streams_open() {
    use std::{
        io::{Read, Write},
        net::TcpStream,
        process::{Command, Stdio},
        time::Instant,
    };

    let dir = tempfile::tempdir().expect("temporary folder");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_portico"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORTICO_LOG", "warn")
        .env("PORTICO_DEMO", "true")
        .env("PORTICO_ADDR", &addr)
        .env("PORTICO_PUBLIC_URL", format!("http://localhost:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("portico starts");
    let started = Instant::now();
    while TcpStream::connect(&addr).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "portico listens"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A signed-in session, made in the database the process uses (demo person 1).
    let cookie = tower_sessions::session::Id::default().to_string();
    let cookie = cookie.as_str();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = portico_domain::db::default_sqlite_url(&dir.path().join("data"));
        let db = portico_domain::db::connect(&url)
            .await
            .expect("the process's database");
        let olga = user_id(&db, "olga@vandijk.example").await;
        insert_session(&db, cookie, olga).await;
        support::close(&db).await;
    });
    let mut streams = Vec::new();
    for _ in 0..3 {
        let mut tcp = TcpStream::connect(&addr).expect("connects");
        tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(
            tcp,
            "GET /live HTTP/1.1\r\nHost: localhost:{port}\r\nAccept: text/event-stream\r\nCookie: {SESSION_COOKIE}={cookie}\r\n\r\n"
        )
        .unwrap();
        let mut head = [0u8; 512];
        let n = tcp.read(&mut head).expect("a response");
        let text = String::from_utf8_lossy(&head[..n]).into_owned();
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains("text/event-stream"), "{text}");
        streams.push(tcp);
    }
    let asked = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if asked.elapsed() > Duration::from_secs(8) {
            let _ = child.kill();
            panic!("portico waited for its open streams");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The drain allows 10 s; with streams that end at the signal it takes a moment.
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );
    for mut tcp in streams {
        let mut rest = Vec::new();
        let _ = tcp.read_to_end(&mut rest);
        assert!(
            String::from_utf8_lossy(&rest).ends_with("0\r\n\r\n"),
            "the response ended cleanly"
        );
    }
}

/// A session row as the session store writes one for a signed-in person.
async fn insert_session(db: &DatabaseConnection, cookie: &str, user_id: i32) {
    use portico_domain::accounts::session::{entity, keys, storage_key};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let now = Utc::now();
    let data = serde_json::json!({
        keys::USER_ID: user_id,
        keys::SIGNED_IN_AT: now.timestamp(),
        keys::LAST_SEEN: now.timestamp(),
    });
    entity::ActiveModel {
        id: Set(storage_key(cookie)),
        user_id: Set(Some(user_id)),
        data: Set(data.to_string()),
        expires_at: Set(now + chrono::Duration::minutes(30)),
        created_at: Set(now),
        last_seen_at: Set(now),
        ip: Set(None),
        user_agent: Set(None),
    }
    .insert(db)
    .await
    .expect("session row");
}

#[tokio::test]
async fn event_ids_keep_growing_after_old_news_is_pruned() {
    use sea_orm::TransactionTrait;
    for test_db in support::migrated_databases().await {
        let db = &test_db.db;
        let publish = || async {
            let txn = db.begin().await.unwrap();
            let id = live::publish(
                &txn,
                Utc::now(),
                live::News::for_person(live::LiveKind::MessagesRead, 1, None),
            )
            .await
            .unwrap();
            live::commit(txn).await.unwrap();
            id
        };
        let first = publish().await;
        let second = publish().await;
        assert!(second > first);
        // Pruning everything keeps the newest row, and a new id never reuses an old one.
        let gone = live::prune(db, Utc::now() + chrono::Duration::days(1))
            .await
            .unwrap();
        assert_eq!(gone, 1, "{}", test_db.label);
        assert_eq!(live::newest(db).await.unwrap(), second);
        let third = publish().await;
        assert!(third > second, "{}: {third} after {second}", test_db.label);
        test_db.finish().await;
    }
}

/// `portico serve` on `url` at `port`, in `dir`.
fn serve_process(dir: &std::path::Path, url: &str, port: u16) -> std::process::Child {
    use std::process::{Command, Stdio};
    let child = Command::new(env!("CARGO_BIN_EXE_portico"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORTICO_LOG", "warn")
        .env("PORTICO_DEMO", "true")
        .env("DATABASE_URL", url)
        .env("PORTICO_ADDR", format!("127.0.0.1:{port}"))
        .env("PORTICO_PUBLIC_URL", "http://localhost:3000")
        .env("PORTICO_SECRET_KEY", support::TEST_SECRET_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("portico starts");
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "portico listens on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// Reads a raw `/live` response until `needle` has arrived (true) or `wait` passed (false).
fn heard(tcp: &mut std::net::TcpStream, seen: &mut String, needle: &str, wait: Duration) -> bool {
    use std::io::Read;
    let deadline = std::time::Instant::now() + wait;
    let mut buffer = [0u8; 4096];
    while std::time::Instant::now() < deadline {
        if let Some(at) = seen.find(needle) {
            seen.drain(..at + needle.len());
            return true;
        }
        match tcp.read(&mut buffer) {
            Ok(0) => return false,
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buffer[..n])),
            Err(_) => {}
        }
    }
    false
}

#[test]
fn two_server_processes_on_one_postgresql_database() {
    use std::io::{Read, Write};
    let Some(admin) = support::postgres_admin_url() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let test_db = runtime.block_on(support::fresh_postgres(&admin));
    let dir = tempfile::tempdir().unwrap();
    let (port_a, port_b) = (free_port(), free_port());
    let mut a = serve_process(dir.path(), &test_db.url, port_a);
    let mut b = serve_process(dir.path(), &test_db.url, port_b);
    let sanne = tower_sessions::session::Id::default().to_string();
    let cees = tower_sessions::session::Id::default().to_string();
    runtime.block_on(async {
        // Both seeded by now (the second start found the demo there).
        insert_session(
            &test_db.db,
            &sanne,
            user_id(&test_db.db, "sanne@deboer.example").await,
        )
        .await;
        insert_session(
            &test_db.db,
            &cees,
            user_id(&test_db.db, "cees@vandijk.example").await,
        )
        .await;
    });
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port_b)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    write!(
        stream,
        "GET /live HTTP/1.1\r\nHost: localhost:3000\r\nAccept: text/event-stream\r\nCookie: {SESSION_COOKIE}={sanne}\r\n\r\n"
    )
    .unwrap();
    let mut seen = String::new();
    assert!(
        heard(&mut stream, &mut seen, "retry:", Duration::from_secs(5)),
        "{seen}"
    );

    let change = |status: &str, extra: &str| {
        let body = format!("job_id=1&status={status}{extra}");
        let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port_a)).unwrap();
        write!(
            tcp,
            "POST /api/jobs/change_status HTTP/1.1\r\nHost: localhost:3000\r\nOrigin: http://localhost:3000\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nCookie: {SESSION_COOKIE}={cees}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reply = String::new();
        let _ = tcp.read_to_string(&mut reply);
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    };
    let eta = (Utc::now() + chrono::Duration::hours(1))
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .format("%H:%M")
        .to_string();
    change("en_route", &format!("&eta={eta}"));
    assert!(
        heard(
            &mut stream,
            &mut seen,
            "\"job_status_changed\"",
            Duration::from_secs(3)
        ),
        "B's stream hears of a change made through A: {seen}"
    );

    // Every listener connection is cut (A's and B's): the change made through A meanwhile
    // reaches B's stream from the table once B listens again.
    runtime.block_on(async {
        use sea_orm::ConnectionTrait;
        test_db
            .db
            .execute_unprepared(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()",
            )
            .await
            .expect("listeners cut");
    });
    change("in_progress", "");
    assert!(
        heard(
            &mut stream,
            &mut seen,
            "\"job_status_changed\"",
            Duration::from_secs(8)
        ),
        "caught up after the outage: {seen}"
    );
    for child in [&mut a, &mut b] {
        let _ = child.kill();
        let _ = child.wait();
    }
    runtime.block_on(test_db.finish());
}
