//! Raw bindings to the ZAF SDK's `ZAFClient` (Zendesk Apps framework v2).
//!
//! Only `client.rs` uses these; nothing above it sees a `JsValue`. Every call that can throw or
//! reject is `catch`, so a JS error becomes a Rust `Err`.
//! API: <https://developer.zendesk.com/api-reference/apps/apps-core-api/client_api/>

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A ZAF client: the app's handle on its Zendesk host frame.
    #[derive(Clone)]
    pub type ZafClient;

    /// `ZAFClient.init()`: a client, or `false` when the page was not opened by Zendesk
    /// (no `origin` / `app_guid` in the URL). Throws if the SDK script is not loaded.
    #[wasm_bindgen(catch, js_namespace = ZAFClient, js_name = init)]
    pub fn init() -> Result<JsValue, JsValue>;

    /// `client.get(paths)`: resolves with `{errors, <path>: value, …}`.
    #[wasm_bindgen(catch, method)]
    pub fn get(this: &ZafClient, paths: &Array) -> Result<Promise, JsValue>;

    /// `client.invoke(name, ...args)`.
    #[wasm_bindgen(catch, method, variadic)]
    pub fn invoke(this: &ZafClient, name: &str, args: &Array) -> Result<Promise, JsValue>;

    /// `client.on(event, handler)`.
    #[wasm_bindgen(method)]
    pub fn on(this: &ZafClient, event: &str, handler: &Function);

    /// `client.off(event, handler)`.
    #[wasm_bindgen(method)]
    pub fn off(this: &ZafClient, event: &str, handler: &Function);

    /// `client.request(options)`: an HTTP request proxied by the host.
    #[wasm_bindgen(catch, method)]
    pub fn request(this: &ZafClient, options: &JsValue) -> Result<Promise, JsValue>;

    /// `client.context()`: resolves with `{location, instanceGuid, product, …}`.
    #[wasm_bindgen(catch, method)]
    pub fn context(this: &ZafClient) -> Result<Promise, JsValue>;

    /// `client.metadata()`: resolves with `{appId, installationId, settings, …}`.
    #[wasm_bindgen(catch, method)]
    pub fn metadata(this: &ZafClient) -> Result<Promise, JsValue>;

    /// `client.instance(guid)`: a client that talks to another location of the same app.
    #[wasm_bindgen(method)]
    pub fn instance(this: &ZafClient, guid: &str) -> ZafClient;
}
