//! Zendesk Apps framework (ZAF): raw bindings in `sys`, the typed facade in `client`.
//!
//! The SDK script is loaded by `index.html` from Zendesk's CDN; the sandbox and the tests load
//! the npm build instead.

mod client;
mod sys;

pub use client::{
    Context, CurrentAccount, CurrentUser, InstanceInfo, Invoke, Metadata, NotifyKind, Subscription,
    VoiceDialout, Zaf, ZafError,
};

/// A notification's text as Zendesk takes it: as HTML. UNCONFIRMED: Zendesk documents the
/// message as text, but public apps put markup in it (`<b>`, `<p>`) and it shows as markup. All
/// the adapter says there is text, some of it from outside (a chat visitor's name, a number as
/// the platform sent it), so `&`, `<` and `>` go as entities: nothing of theirs becomes markup
/// in the agent's Zendesk page, and the text reads as written.
pub fn notify_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            c => html.push(c),
        }
    }
    html
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_notification_s_text_is_never_markup() {
        assert_eq!(
            super::notify_html(r#"New chat: <img src=x onerror="x()"> & <b>Bo</b>'s"#),
            r#"New chat: &lt;img src=x onerror="x()"&gt; &amp; &lt;b&gt;Bo&lt;/b&gt;'s"#
        );
        assert_eq!(
            super::notify_html("Chiamata in arrivo +39 02 1234"),
            "Chiamata in arrivo +39 02 1234"
        );
    }
}
