//! The app's Zendesk transport: requests go through ZAF, in the agent's own Zendesk session.

use crate::{
    http::{HttpRequest, HttpResponse},
    zaf::Zaf,
    zendesk::Transport,
};

/// Sends Zendesk API requests through the ZAF client.
#[derive(Clone)]
pub struct ZafTransport(pub Zaf);

impl Transport for ZafTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        self.0.request(&request).await.map_err(|e| e.to_string())
    }
}
