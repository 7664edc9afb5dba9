//! Browser tests of the ZAF facade against the npm build of the SDK and a fake host that plays
//! Zendesk's side of the postMessage protocol (tests/fixtures/fake_zaf_host.js).
#![cfg(target_arch = "wasm32")]

use agent_adapter::{
    http::{HttpRequest, Method},
    services::zaf_transport::ZafTransport,
    zaf::{Invoke, NotifyKind, VoiceDialout, Zaf, ZafError},
    zendesk::{Zendesk, ZendeskError},
};
use std::{cell::RefCell, rc::Rc};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

mod browser {
    pub mod serial;
}
use browser::serial::serial;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/target/js/zaf_sdk.esm.js")]
extern "C" {
    fn zaf_sdk_loaded() -> bool;
}

#[wasm_bindgen(module = "/tests/fixtures/fake_zaf_host.js")]
extern "C" {
    fn install_fake_host();
    fn leave_zendesk();
    fn set_url(query_and_fragment: &str);
    fn fire(event: &str, payload_json: &str) -> bool;
    fn subscribed(event: &str) -> bool;
    fn invokes_json() -> String;
    fn requests_json() -> String;
    fn push_response(status: u16, headers_json: &str, body: &str);
    fn push_network_failure();
}

/// Lets queued messages (posted with setTimeout) be delivered.
async fn settle() {
    for _ in 0..3 {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let _ = web_sys::window()
                .unwrap()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 5);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

thread_local! {
    static CLIENT: RefCell<Option<Zaf>> = const { RefCell::new(None) };
}

/// The page's one ZAF client, as in the app (one per frame), over a freshly reset fake host.
fn client() -> Zaf {
    assert!(zaf_sdk_loaded());
    install_fake_host();
    CLIENT.with(|c| {
        c.borrow_mut()
            .get_or_insert_with(|| {
                Zaf::init().expect("the fake host's URL parameters make init succeed")
            })
            .clone()
    })
}

#[wasm_bindgen_test]
async fn init_outside_zendesk_is_a_clear_error() {
    let _page = serial().await;
    assert!(zaf_sdk_loaded());
    leave_zendesk();
    assert_eq!(Zaf::init().err(), Some(ZafError::NotInZendesk));
}

// A page that names a trusted origin where the app's check once looked (the query's first
// `origin`) and another where the SDK looks (the fragment, an encoded key, the last of two) is
// refused before the SDK starts: the origin checked is the one the SDK would talk to.
#[wasm_bindgen_test]
async fn init_checks_the_origin_the_sdk_would_talk_to() {
    let _page = serial().await;
    assert!(zaf_sdk_loaded());
    let here = web_sys::window().unwrap().location().origin().unwrap();
    for url in [
        "?app_guid=g#origin=https%3A%2F%2Fevil.example&app_guid=g".to_owned(),
        "?%6Frigin=https://evil.example&app_guid=g".to_owned(),
        format!("?origin={here}&origin=https://evil.example&app_guid=g"),
    ] {
        set_url(&url);
        let refused = Zaf::init().err();
        assert!(
            matches!(&refused, Some(ZafError::ForeignHost(why)) if why.contains("evil.example")),
            "{url}: {refused:?}"
        );
    }
    leave_zendesk();
}

#[wasm_bindgen_test]
async fn get_reads_the_agent_and_its_locale() {
    let _page = serial().await;
    let zaf = client();
    let user = zaf.current_user().await.unwrap();
    assert_eq!(user.id, 16_444_799_095_826, "ids are 64-bit");
    assert_eq!(user.locale.as_deref(), Some("it"));
    assert_eq!(zaf.current_account().await.unwrap().subdomain, "acme");
    let instances = zaf.instances().await.unwrap();
    assert_eq!(instances["bg-guid"].location, "background");
    match zaf.get::<serde_json::Value>("ticket.subject").await {
        Err(ZafError::Js { message, .. }) => assert!(message.contains("ticket.subject")),
        other => panic!("an unknown path must fail: {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn invokes_reach_the_host_with_their_arguments() {
    let _page = serial().await;
    let zaf = client();
    zaf.invoke(&Invoke::PopoverShow).await.unwrap();
    zaf.invoke(&Invoke::Resize {
        width: "360px".into(),
        height: "510px".into(),
    })
    .await
    .unwrap();
    // A notification's text goes as HTML text: Zendesk shows the message as markup.
    zaf.invoke(&Invoke::Notify {
        message: "<b>Call failed</b>".into(),
        kind: NotifyKind::Error,
    })
    .await
    .unwrap();
    zaf.invoke(&Invoke::RouteToTicket(16_444_799_095_826))
        .await
        .unwrap();
    zaf.invoke(&Invoke::PreloadPane).await.unwrap();
    let invokes: serde_json::Value = serde_json::from_str(&invokes_json()).unwrap();
    assert_eq!(
        invokes,
        serde_json::json!([
            {"name": "popover", "args": ["show"]},
            {"name": "resize", "args": [{"width": "360px", "height": "510px"}]},
            {"name": "notify", "args": ["&lt;b&gt;Call failed&lt;/b&gt;", "error"]},
            {"name": "routeTo", "args": ["ticket", 16444799095826_u64]},
            {"name": "preloadPane", "args": []},
        ])
    );
}

#[wasm_bindgen_test]
async fn events_reach_subscribers_only_and_stop_when_dropped() {
    let _page = serial().await;
    let zaf = client();
    settle().await;
    let payload = r#"{"number":"+14155550100","userId":16444799095826,"ticketId":null}"#;
    assert!(
        !fire("voice.dialout", payload),
        "not delivered before subscribing"
    );
    let got: Rc<RefCell<Vec<VoiceDialout>>> = Rc::default();
    let subscription = zaf.on("voice.dialout", {
        let got = got.clone();
        move |d: VoiceDialout| got.borrow_mut().push(d)
    });
    settle().await;
    assert!(subscribed("voice.dialout"));
    assert!(fire("voice.dialout", payload));
    settle().await;
    assert_eq!(
        got.borrow().as_slice(),
        [VoiceDialout {
            number: Some("+14155550100".into()),
            user_id: Some(16_444_799_095_826),
            ticket_id: None
        }]
    );
    drop(subscription);
    settle().await;
    assert!(
        !subscribed("voice.dialout"),
        "dropping the subscription unsubscribes"
    );
}

#[wasm_bindgen_test]
async fn requests_return_status_headers_and_body_even_for_429() {
    let zaf = client();
    push_response(200, r#"{"X-Rate-Limit-Remaining":"699"}"#, r#"{"ok":true}"#);
    let request = HttpRequest::new(Method::Put, "/api/v2/tickets/1.json")
        .json(serde_json::json!({"ticket": {"status": "open"}}));
    let response = zaf.request(&request).await.unwrap();
    assert_eq!(response.status, 200, "{}", requests_json());
    assert_eq!(response.header("x-rate-limit-remaining"), Some("699"));
    assert_eq!(response.body, r#"{"ok":true}"#);
    let sent: serde_json::Value = serde_json::from_str(&requests_json()).unwrap();
    assert_eq!(sent[0]["type"], "PUT");
    assert_eq!(sent[0]["httpCompleteResponse"], true);
    assert_eq!(sent[0]["autoRetry"], false);
    assert_eq!(sent[0]["data"], r#"{"ticket":{"status":"open"}}"#);

    push_response(429, r#"{"Retry-After":"7"}"#, "{}");
    let response = zaf
        .request(&HttpRequest::new(Method::Get, "/api/v2/x"))
        .await
        .unwrap();
    assert_eq!(
        (response.status, response.header("retry-after")),
        (429, Some("7"))
    );
    // A header the host gives as a number reads as JavaScript writes it.
    push_response(
        429,
        r#"{"Retry-After":30,"X-Rate":1.5,"X-Big":4300000009}"#,
        "{}",
    );
    let response = zaf
        .request(&HttpRequest::new(Method::Get, "/api/v2/x"))
        .await
        .unwrap();
    assert_eq!(
        (
            response.header("retry-after"),
            response.header("x-rate"),
            response.header("x-big"),
            response.retry_after_s(),
        ),
        (Some("30"), Some("1.5"), Some("4300000009"), Some(30))
    );

    push_network_failure();
    let err = zaf
        .request(&HttpRequest::new(Method::Get, "/api/v2/x"))
        .await
        .unwrap_err();
    assert!(matches!(err, ZafError::Network(_)), "{err:?}");
}

// The app's real path: the Zendesk client over ZAF.
#[wasm_bindgen_test]
async fn zendesk_client_over_zaf_maps_errors() {
    let _page = serial().await;
    let zendesk = Zendesk::new(ZafTransport(client()));
    push_response(
        404,
        "{}",
        r#"{"error":"RecordNotFound","description":"Not found"}"#,
    );
    assert_eq!(zendesk.ticket(5).await, Err(ZendeskError::NotFound));
    push_response(429, r#"{"retry-after":"30"}"#, "{}");
    assert_eq!(
        zendesk.ticket(5).await,
        Err(ZendeskError::RateLimited { retry_after_s: 30 })
    );
    push_response(
        200,
        "{}",
        r#"{"ticket":{"id":5,"status":"open","requester_id":9,"subject":"Hi","extra":1}}"#,
    );
    let ticket = zendesk.ticket(5).await.unwrap();
    assert_eq!(
        (ticket.id, ticket.requester_id, ticket.subject.as_str()),
        (5, 9, "Hi")
    );
    push_response(
        201,
        r#"{"Location":"/api/v2/tickets/6.json"}"#,
        r#"{"ticket":{"id":6,"status":"open","requester_id":9}}"#,
    );
    let new = agent_adapter::zendesk::NewTicket {
        subject: "Outbound call".into(),
        requester_id: 9,
        comment: "Call details".into(),
        ..Default::default()
    };
    assert_eq!(zendesk.create_ticket(&new).await.map(|t| t.id), Ok(6));
    push_response(
        422,
        "{}",
        r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"Status: closed prevents ticket update"}]}}"#,
    );
    let change = agent_adapter::zendesk::TicketChange {
        comment: Some("x".into()),
        ..Default::default()
    };
    assert_eq!(
        zendesk.update_ticket(6, &change, None).await,
        Err(ZendeskError::Closed)
    );
    push_network_failure();
    assert!(matches!(
        zendesk.ticket(6).await,
        Err(ZendeskError::Transport(_))
    ));
}
