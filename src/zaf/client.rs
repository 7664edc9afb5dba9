//! The safe face of the ZAF SDK: Rust types in and out, JS errors mapped at once, event
//! subscriptions that unsubscribe when dropped.

use super::sys;
use crate::http::{HttpRequest, HttpResponse};
use js_sys::{Array, Function, Object, Reflect};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;

/// What can go wrong talking to the Zendesk host.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ZafError {
    /// The SDK script did not load (offline, blocked, or not inside Zendesk).
    #[error("the Zendesk app framework is not loaded")]
    SdkMissing,
    /// The page was opened outside Zendesk: no `origin` / `app_guid` in its URL.
    #[error("the adapter must be opened from Zendesk")]
    NotInZendesk,
    /// The page that frames the adapter is not Zendesk (`crate::origins`): nothing is shown
    /// that could collect the agent's password.
    #[error("{0}")]
    ForeignHost(String),
    /// The host or the SDK rejected the call.
    #[error("{name}: {message}")]
    Js {
        /// The JS error's name (`Error`, `TimeoutError`, …).
        name: String,
        /// Its message.
        message: String,
    },
    /// The request never got an HTTP answer (network down, host gone).
    #[error("network error: {0}")]
    Network(String),
    /// The host answered with data of an unexpected shape.
    #[error("unexpected data from Zendesk: {0}")]
    Decode(String),
}

impl From<JsValue> for ZafError {
    /// Thrown values that are `Error`s keep name and message; anything else keeps its string form.
    fn from(value: JsValue) -> Self {
        if let Some(err) = value.dyn_ref::<js_sys::Error>() {
            return ZafError::Js {
                name: err.name().into(),
                message: err.message().into(),
            };
        }
        let message = value
            .as_string()
            .or_else(|| {
                js_sys::JSON::stringify(&value)
                    .ok()
                    .and_then(|s| s.as_string())
            })
            .unwrap_or_else(|| "unknown error".to_owned());
        ZafError::Js {
            name: "NotJsError".to_owned(),
            message,
        }
    }
}

fn decode<T: DeserializeOwned>(value: JsValue) -> Result<T, ZafError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| ZafError::Decode(e.to_string()))
}

async fn settle(promise: js_sys::Promise) -> Result<JsValue, ZafError> {
    JsFuture::from(promise).await.map_err(ZafError::from)
}

/// The agent using the adapter (`client.get('currentUser')`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// The agent's Zendesk user id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Email, when the host shares it.
    #[serde(default)]
    pub email: Option<String>,
    /// Zendesk locale, e.g. `en-US`, `it`; selects the adapter's language.
    #[serde(default)]
    pub locale: Option<String>,
}

/// The account (`client.get('currentAccount')`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentAccount {
    /// The account's subdomain (`acme` for acme.zendesk.com).
    pub subdomain: String,
}

/// One app instance as `client.get('instances')` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceInfo {
    /// The location the instance runs in (`top_bar`, `background`, …).
    pub location: String,
}

/// Where this app instance runs (`client.context()`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    /// The location: `top_bar`, `background`, …
    #[serde(default)]
    pub location: String,
    /// This instance's guid.
    #[serde(default)]
    pub instance_guid: String,
}

/// The app installation's metadata (`client.metadata()`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// The installation's settings (manifest parameters), by name; secure ones are absent.
    #[serde(default)]
    pub settings: std::collections::BTreeMap<String, serde_json::Value>,
}

impl Metadata {
    /// A text setting.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings.get(name).and_then(|v| v.as_str())
    }
}

/// A click-to-call request (`voice.dialout`): any of the three may be missing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceDialout {
    /// The number clicked, as Zendesk shows it.
    #[serde(default)]
    pub number: Option<String>,
    /// The Zendesk user the number belongs to.
    #[serde(default)]
    pub user_id: Option<u64>,
    /// The ticket the Call button was used on.
    #[serde(default)]
    pub ticket_id: Option<u64>,
}

/// How a Zendesk notification looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyKind {
    /// Information.
    Notice,
    /// Something needs attention.
    Alert,
    /// Something failed.
    Error,
}

impl NotifyKind {
    fn as_str(self) -> &'static str {
        match self {
            NotifyKind::Notice => "notice",
            NotifyKind::Alert => "alert",
            NotifyKind::Error => "error",
        }
    }
}

/// An action the adapter asks Zendesk to perform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invoke {
    /// Open the top-bar popover.
    PopoverShow,
    /// Close it.
    PopoverHide,
    /// Resize the app (and, in the top bar, its popover).
    Resize {
        /// CSS width, e.g. `360px`.
        width: String,
        /// CSS height.
        height: String,
    },
    /// Show a toast to the agent.
    Notify {
        /// The text, sent as HTML text ([`super::notify_html`]).
        message: String,
        /// Its look.
        kind: NotifyKind,
    },
    /// Open a ticket in the agent's workspace.
    RouteToTicket(u64),
    /// Open a user profile.
    RouteToUser(u64),
    /// Put the top-bar pane in the page without showing it (so it receives events).
    PreloadPane,
}

impl Invoke {
    /// The action's name and arguments as the SDK takes them.
    fn to_js(&self) -> (&'static str, Array) {
        let args = Array::new();
        let name = match self {
            Invoke::PopoverShow => {
                args.push(&"show".into());
                "popover"
            }
            Invoke::PopoverHide => {
                args.push(&"hide".into());
                "popover"
            }
            Invoke::Resize { width, height } => {
                let size = Object::new();
                let _ = Reflect::set(&size, &"width".into(), &width.into());
                let _ = Reflect::set(&size, &"height".into(), &height.into());
                args.push(&size);
                "resize"
            }
            Invoke::Notify { message, kind } => {
                args.push(&super::notify_html(message).into());
                args.push(&kind.as_str().into());
                "notify"
            }
            Invoke::RouteToTicket(id) => {
                args.push(&"ticket".into());
                args.push(&JsValue::from_f64(*id as f64));
                "routeTo"
            }
            Invoke::RouteToUser(id) => {
                args.push(&"user".into());
                args.push(&JsValue::from_f64(*id as f64));
                "routeTo"
            }
            Invoke::PreloadPane => "preloadPane",
        };
        (name, args)
    }
}

/// An event subscription; dropping it unsubscribes and frees the handler.
#[must_use = "dropping a subscription unsubscribes at once"]
pub struct Subscription {
    client: sys::ZafClient,
    event: String,
    handler: Closure<dyn Fn(JsValue)>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.client.off(
            &self.event,
            self.handler.as_ref().unchecked_ref::<Function>(),
        );
    }
}

/// The adapter's ZAF client.
#[derive(Clone)]
pub struct Zaf {
    client: sys::ZafClient,
}

impl Zaf {
    /// Connects to the Zendesk host frame named by the page URL's `origin` and `app_guid`.
    /// Refuses a page that is not a Zendesk workspace (or loopback, for the sandbox), or whose
    /// real parent is not the origin its URL names: the origin checked is the one the SDK reads
    /// from the URL ([`crate::origins::sdk_origin`]), and, where the client says which origin it
    /// took, that one too.
    pub fn init() -> Result<Self, ZafError> {
        let foreign = |e: crate::origins::OriginError| ZafError::ForeignHost(e.to_string());
        let location = web_sys::window().map(|w| w.location());
        let part = |read: fn(&web_sys::Location) -> Result<String, JsValue>| {
            location
                .as_ref()
                .and_then(|l| read(l).ok())
                .unwrap_or_default()
        };
        // No origin the SDK can read: it would start no client either.
        let named = crate::origins::sdk_origin(
            &part(web_sys::Location::search),
            &part(web_sys::Location::hash),
        )
        .ok_or(ZafError::NotInZendesk)?;
        let host = crate::origins::framing_host(Some(&named), parent_origin().as_deref())
            .map_err(foreign)?;
        let value = sys::init().map_err(|_| ZafError::SdkMissing)?;
        if value.is_falsy() {
            return Err(ZafError::NotInZendesk);
        }
        // The SDK keeps the origin it talks to as `_origin` (UNCONFIRMED beyond the SDK 2.0
        // sources); a later SDK that reads the URL otherwise must still talk to `host` only.
        if let Some(taken) = Reflect::get(&value, &"_origin".into())
            .ok()
            .and_then(|o| o.as_string())
        {
            let same = crate::origins::Origin::parse(&taken).map(|o| o.serialized());
            if same.as_deref() != Some(host.as_str()) {
                return Err(foreign(crate::origins::OriginError::ForeignHost(taken)));
            }
        }
        Ok(Self {
            client: value.unchecked_into(),
        })
    }

    /// A client for another location of this app (e.g. the top bar, from the background).
    pub fn instance(&self, guid: &str) -> Self {
        Self {
            client: self.client.instance(guid),
        }
    }

    /// Reads one property path from the host, e.g. `currentUser`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ZafError> {
        let paths = Array::of1(&path.into());
        let result = settle(self.client.get(&paths)?).await?;
        let errors = Reflect::get(&result, &"errors".into()).unwrap_or(JsValue::UNDEFINED);
        if errors.is_object() {
            let error = Reflect::get(&errors, &path.into()).unwrap_or(JsValue::UNDEFINED);
            if !error.is_undefined() && !error.is_null() {
                let message = Reflect::get(&error, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
                    .unwrap_or_else(|| format!("cannot read {path}"));
                return Err(ZafError::Js {
                    name: "Error".to_owned(),
                    message,
                });
            }
        }
        decode(Reflect::get(&result, &path.into()).map_err(ZafError::from)?)
    }

    /// Where this instance runs.
    pub async fn context(&self) -> Result<Context, ZafError> {
        decode(settle(self.client.context()?).await?)
    }

    /// The installation's metadata, with its settings (e.g. `platform_url`).
    pub async fn metadata(&self) -> Result<Metadata, ZafError> {
        decode(settle(self.client.metadata()?).await?)
    }

    /// The agent using the adapter.
    pub async fn current_user(&self) -> Result<CurrentUser, ZafError> {
        self.get("currentUser").await
    }

    /// The account.
    pub async fn current_account(&self) -> Result<CurrentAccount, ZafError> {
        self.get("currentAccount").await
    }

    /// The app's instances, by guid.
    pub async fn instances(
        &self,
    ) -> Result<std::collections::BTreeMap<String, InstanceInfo>, ZafError> {
        self.get("instances").await
    }

    /// Asks the host to perform an action.
    pub async fn invoke(&self, action: &Invoke) -> Result<(), ZafError> {
        let (name, args) = action.to_js();
        settle(self.client.invoke(name, &args)?).await.map(|_| ())
    }

    /// Subscribes to a host event whose payload decodes as `T`; payloads that do not decode are
    /// dropped (the host sent something this adapter does not understand).
    pub fn on<T: DeserializeOwned + 'static>(
        &self,
        event: &str,
        handler: impl Fn(T) + 'static,
    ) -> Subscription {
        let handler = Closure::<dyn Fn(JsValue)>::new(move |payload: JsValue| {
            if let Ok(value) = decode::<T>(payload) {
                handler(value);
            }
        });
        self.client.on(event, handler.as_ref().unchecked_ref());
        Subscription {
            client: self.client.clone(),
            event: event.to_owned(),
            handler,
        }
    }

    /// Sends an HTTP request through the host (the agent's own Zendesk session). Any HTTP status
    /// is a response, not an error, so 429 and its `Retry-After` stay visible.
    pub async fn request(&self, request: &HttpRequest) -> Result<HttpResponse, ZafError> {
        let options = request_options(request)?;
        match JsFuture::from(self.client.request(&options)?).await {
            Ok(value) => response_from_js(&value),
            Err(value) => match response_from_js(&value) {
                Ok(response) if response.status != 0 => Ok(response),
                _ => Err(ZafError::Network(ZafError::from(value).to_string())),
            },
        }
    }
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a plain property on a fresh object cannot fail.
    let _ = Reflect::set(target, &key.into(), value);
}

/// The options object of `client.request`.
fn request_options(request: &HttpRequest) -> Result<JsValue, ZafError> {
    let options = Object::new();
    set(&options, "url", &request.url.as_str().into());
    set(&options, "type", &request.method.as_str().into());
    set(&options, "httpCompleteResponse", &JsValue::TRUE);
    // The adapter handles 429 itself (it must see Retry-After and keep its outbox in order).
    set(&options, "autoRetry", &JsValue::FALSE);
    if let Some(body) = &request.body {
        set(&options, "contentType", &"application/json".into());
        set(&options, "data", &body.to_string().into());
    }
    if !request.headers.is_empty() {
        let headers = Object::new();
        for (name, value) in &request.headers {
            set(&headers, name, &value.as_str().into());
        }
        set(&options, "headers", &headers);
    }
    Ok(options.into())
}

/// Reads `{status, headers, responseText, responseJSON}` (a complete response or a jqXHR-like
/// failure) into an `HttpResponse`.
fn response_from_js(value: &JsValue) -> Result<HttpResponse, ZafError> {
    if !value.is_object() {
        return Err(ZafError::Decode("the response is not an object".to_owned()));
    }
    let get = |key: &str| Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let status = get("status").as_f64().unwrap_or(0.0) as u16;
    let body = match get("responseText").as_string() {
        Some(text) => text,
        None => {
            let json = get("responseJSON");
            if json.is_undefined() {
                String::new()
            } else {
                js_sys::JSON::stringify(&json)
                    .ok()
                    .and_then(|s| s.as_string())
                    .unwrap_or_default()
            }
        }
    };
    Ok(HttpResponse {
        status,
        headers: headers_from_js(&get("headers")),
        body,
    })
}

/// UNCONFIRMED (reference/zendesk.md §2.6): the type of `headers` in a complete response. It is
/// read as a plain object, a `Headers`-like object with `forEach`, or raw header lines.
fn headers_from_js(value: &JsValue) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(text) = value.as_string() {
        for line in text.lines() {
            if let Some((name, v)) = line.split_once(':') {
                out.push((name.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        return out;
    }
    if !value.is_object() {
        return out;
    }
    let for_each = Reflect::get(value, &"forEach".into()).unwrap_or(JsValue::UNDEFINED);
    if let Some(for_each) = for_each.dyn_ref::<Function>() {
        let pairs = Array::new();
        let collect = Closure::<dyn FnMut(JsValue, JsValue)>::new({
            let pairs = pairs.clone();
            move |v: JsValue, k: JsValue| {
                pairs.push(&Array::of2(&k, &v));
            }
        });
        let _ = for_each.call1(value, collect.as_ref());
        for pair in pairs.iter() {
            let pair: Array = pair.unchecked_into();
            if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                out.push((k.to_ascii_lowercase(), v));
            }
        }
        return out;
    }
    for entry in Object::entries(value.unchecked_ref()).iter() {
        let entry: Array = entry.unchecked_into();
        if let Some(k) = entry.get(0).as_string() {
            let v = entry.get(1);
            let v = v.as_string().or_else(|| v.as_f64().map(|n| n.to_string()));
            if let Some(v) = v {
                out.push((k.to_ascii_lowercase(), v));
            }
        }
    }
    out
}

/// The origin of the page that really frames this one, as the browser reports it
/// (`location.ancestorOrigins[0]`, else the referrer's origin); None at the top level or when
/// the browser does not say.
fn parent_origin() -> Option<String> {
    let window = web_sys::window()?;
    let top = window.top().ok().flatten();
    if top.is_none_or(|t| JsValue::from(t) == JsValue::from(window.clone())) {
        return None;
    }
    let location = JsValue::from(window.location());
    let ancestors = Reflect::get(&location, &"ancestorOrigins".into()).ok();
    if let Some(first) = ancestors
        .filter(|a| a.is_object())
        .and_then(|a| Reflect::get(&a, &0.into()).ok())
        .and_then(|o| o.as_string())
    {
        return Some(first);
    }
    let referrer = window.document()?.referrer();
    crate::origins::Origin::parse(&referrer).map(|o| o.serialized())
}
