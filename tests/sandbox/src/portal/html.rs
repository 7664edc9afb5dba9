//! The portal's HTML: one layout, the sign-in form, and labelled controls with their help, the
//! reason a control is locked, and the problems of a refused save. Every value interpolated is
//! escaped with [`html_escape`]; nothing from a request or the account is rendered as HTML.

use super::form::{control_of, messages_of, FormProblem};
use super::Page;
use crate::model::Admin;

/// `text` safe inside HTML text and double-quoted attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#2f3941;background:#f8f9f9}
header{display:flex;flex-wrap:wrap;align-items:center;gap:16px;padding:10px 24px;background:#03363d;color:#fff}
header a{color:#fff}
.brand{font-weight:600}
nav ul{display:flex;flex-wrap:wrap;gap:4px 16px;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{font-weight:700;text-decoration:underline}
.account{margin-left:auto;display:flex;align-items:center;gap:10px}
main{max-width:820px;margin:0 auto;padding:16px 24px 48px}
fieldset{background:#fff;border:1px solid #d8dcde;border-radius:6px;margin:16px 0;padding:12px 16px}
legend{font-weight:600;padding:0 4px}
.control{margin:10px 0 14px}
.check{display:flex;align-items:flex-start;gap:8px}
.check input{margin-top:4px}
label{font-weight:600}
input[type=text],input[type=email],input[type=password],input[type=number],select,textarea{display:block;font:inherit;margin-top:4px;padding:4px 8px;border:1px solid #87929d;border-radius:4px;width:100%;max-width:480px;background:#fff;color:#2f3941}
textarea{min-height:6em}
input[readonly]{background:#f3f4f4}
.help{margin:2px 0 0;color:#49545c}
.reason{margin:2px 0 0;color:#49545c;font-style:italic}
.warning{margin:6px 0 0;padding:6px 10px;border-left:4px solid #ad5e18;background:#fff6e5}
.error{margin:4px 0 0;color:#b0232e;font-weight:600}
[aria-invalid=true]{outline:2px solid #b0232e}
.errors{border:2px solid #b0232e;background:#fff0f1;border-radius:6px;padding:8px 16px;margin:12px 0}
.errors h2{font-size:17px;margin:4px 0}
.saved{border:2px solid #037f52;background:#edf8f4;border-radius:6px;padding:8px 16px;margin:12px 0}
button{font:inherit;padding:6px 14px;border-radius:4px;border:1px solid #1f73b7;background:#1f73b7;color:#fff;cursor:pointer}
header button{background:transparent;border-color:#fff}
a{color:#1f73b7}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e9ebed}
:focus-visible{outline:3px solid #1f73b7;outline-offset:2px}
header :focus-visible{outline-color:#fff}
";

/// A whole document: `header` in a banner, `main` in the main landmark.
fn document(title: &str, header: &str, main: &str) -> String {
    let title = html_escape(title);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title} · Platform portal</title>\n<style>{STYLE}</style>\n\
<script src=\"{SCRIPT_PATH}\" defer></script>\n</head>\n<body>\n\
<header>{header}</header>\n<main id=\"main\">{main}</main>\n</body>\n</html>\n"
    )
}

/// Where the portal's one script is: it keeps locked switches in step with the switches that
/// lock them while the admin edits ([`Control::locked_by`]); the pages work without it.
pub(crate) const SCRIPT_PATH: &str = "/portal/portal.js";

/// The script at [`SCRIPT_PATH`].
pub(crate) const SCRIPT: &str = include_str!("portal.js");

fn brand() -> &'static str {
    "<span class=\"brand\">Contact-centre platform · Portal</span>"
}

/// The sign-in page: the form (with `email` kept), and `message` when a sign-in was refused.
pub(crate) fn sign_in(email: &str, message: Option<&str>) -> String {
    let alert = message.map_or(String::new(), |m| {
        format!(
            "<p class=\"errors\" role=\"alert\" data-testid=\"portal-sign-in-error\">{}</p>",
            html_escape(m)
        )
    });
    let main = format!(
        "<h1>Sign in to the portal</h1>{alert}\
<form method=\"post\" action=\"/portal/sign-in\">\
<p class=\"help\" id=\"sign-in-help\">Administrators of the platform sign in here; agents sign in \
to the adapter in Zendesk.</p>\
<div class=\"control\"><label for=\"email\">Email</label>\
<input type=\"email\" id=\"email\" name=\"email\" data-testid=\"portal-email\" value=\"{email}\" \
autocomplete=\"username\" required aria-describedby=\"sign-in-help\"></div>\
<div class=\"control\"><label for=\"password\">Password</label>\
<input type=\"password\" id=\"password\" name=\"password\" data-testid=\"portal-password\" \
autocomplete=\"current-password\" required aria-describedby=\"sign-in-help\"></div>\
<button type=\"submit\" data-testid=\"portal-sign-in\">Sign in</button></form>",
        email = html_escape(email)
    );
    document("Sign in", brand(), &main)
}

/// A signed-in page: the navigation (`current` marked), who is signed in, then `<main>` with
/// the `<h1>`, the number of agents signed in, and `body`.
pub(crate) fn layout(
    current: Option<Page>,
    title: &str,
    admin: &Admin,
    agents_signed_in: usize,
    body: &str,
) -> String {
    let links: String = Page::ALL
        .iter()
        .map(|p| {
            let here = if Some(*p) == current {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!(
                "<li><a href=\"{}\"{here}>{}</a></li>",
                p.path(),
                html_escape(p.title())
            )
        })
        .collect();
    let header = format!(
        "{brand}<nav aria-label=\"Portal pages\"><ul>{links}</ul></nav>\
<form class=\"account\" method=\"post\" action=\"/portal/sign-out\">\
<span>Signed in as {email}</span>\
<button type=\"submit\" data-testid=\"portal-sign-out\">Sign out</button></form>",
        brand = brand(),
        email = html_escape(&admin.email),
    );
    let main = format!(
        "<h1>{}</h1><p data-testid=\"portal-agents-signed-in\">Agents signed in: {agents_signed_in}</p>{body}",
        html_escape(title)
    );
    document(title, &header, &main)
}

/// The summary of a refused save at the top of `page`: each problem's message, linked to its
/// control (on this page, or on the page it is on).
pub(crate) fn error_summary(page: Page, problems: &[FormProblem]) -> String {
    if problems.is_empty() {
        return String::new();
    }
    let items: String = problems
        .iter()
        .map(|p| {
            let message = html_escape(&p.message);
            match control_of(&p.field) {
                Some((on, id)) if on == page => {
                    format!("<li><a href=\"#{}\">{message}</a></li>", html_escape(&id))
                }
                Some((on, id)) => format!(
                    "<li><a href=\"{}#{}\">{message}</a></li>",
                    on.path(),
                    html_escape(&id)
                ),
                None => format!("<li>{message}</li>"),
            }
        })
        .collect();
    format!(
        "<div class=\"errors\" role=\"alert\" data-testid=\"portal-errors\" tabindex=\"-1\" \
autofocus>\
<h2>Nothing was saved</h2><ul>{items}</ul></div>"
    )
}

/// The notice of a successful save.
pub(crate) fn saved(text: &str) -> String {
    format!(
        "<p class=\"saved\" role=\"status\" data-testid=\"portal-saved\" tabindex=\"-1\" \
autofocus>{}</p>",
        html_escape(text)
    )
}

/// A form posting to `action`, with a save button after `controls`.
pub(crate) fn settings_form(action: &str, controls: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\" novalidate>{controls}\
<button type=\"submit\" data-testid=\"portal-save\">Save Changes</button></form>",
        html_escape(action)
    )
}

/// A group of controls under a legend.
pub(crate) fn fieldset(legend: &str, inner: &str) -> String {
    format!(
        "<fieldset><legend>{}</legend>{inner}</fieldset>",
        html_escape(legend)
    )
}

/// What kind of control, with its value.
pub(crate) enum Kind {
    /// A checkbox (a switch), sent as `on` when ticked.
    Checkbox(bool),
    /// A one-line text input of `type` (`text`, `email`, `password`), with its value.
    Text(&'static str, String),
    /// A whole number from `min` to `max`.
    Number(String, u32, u32),
    /// A choice among (value, text) options, `selected` chosen.
    Select(Vec<(String, String)>, String),
    /// Several lines of text.
    Textarea(String),
    /// A value shown, never sent.
    ReadOnly(String),
}

/// A rule that locks a switch while switch `by` (its control's id) is `when`, and why.
pub(crate) struct Lock<'a> {
    /// The id of the switch that locks.
    pub(crate) by: String,
    /// Whether that switch is on now (saved, or sent in a refused save).
    pub(crate) by_on: bool,
    /// The value of that switch that locks.
    pub(crate) when: bool,
    /// Why, shown beside the locked switch.
    pub(crate) reason: &'a str,
}

/// A labelled control: its id (also its `data-testid`), form key, help text (linked with
/// `aria-describedby`), and what is shown beside it: why it is locked, notes, its problems.
pub(crate) struct Control {
    id: String,
    name: String,
    label: String,
    help: String,
    kind: Kind,
    disabled: bool,
    reason: Option<String>,
    /// The rules of [`Control::locked_by`], as the page's script reads them (JSON).
    live_locks: Option<String>,
    notes: Vec<(String, String)>,
    error: Option<(String, String)>,
}

/// The reason of a locked switch that is on.
fn untick(reason: &str) -> String {
    format!("{reason}: untick it to save")
}

impl Control {
    /// A control `id` sent as `name`, labelled `label`, with `help` under it.
    pub(crate) fn new(id: &str, name: &str, label: &str, help: &str, kind: Kind) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            label: label.to_owned(),
            help: help.to_owned(),
            kind,
            disabled: false,
            reason: None,
            live_locks: None,
            notes: Vec::new(),
            error: None,
        }
    }

    /// A switch that another setting locks: `reason` (why) is shown beside it, and it is
    /// disabled while it is off, so that it cannot be switched on. A locked switch that is on
    /// (saved so through the control API, or sent so in a refused save) stays enabled, so that
    /// it can be switched off.
    /// The reason of a locked switch that is on says what to do, not "locked": it can (and
    /// must) be switched off.
    pub(crate) fn locked(mut self, reason: Option<&str>, on: bool) -> Self {
        self.disabled = reason.is_some() && !on;
        self.reason = reason.map(|r| if on { untick(r) } else { r.to_owned() });
        self
    }

    /// A switch locked by other switches of the page (`locks`, the first that holds wins):
    /// [`Control::locked`] by the one that holds now, and the rules written into the page, so
    /// that its script locks and unlocks the switch, and says why, as the admin ticks the
    /// others, before any save (ticking "Prompt" made "Create a new ticket" usable only after
    /// a save). The server refuses what the rules refuse either way.
    pub(crate) fn locked_by(mut self, locks: &[Lock], on: bool) -> Self {
        if locks.is_empty() {
            return self;
        }
        let rules: Vec<serde_json::Value> = locks
            .iter()
            .map(|l| {
                serde_json::json!({
                    "by": l.by, "when": l.when, "reason": l.reason, "reason_on": untick(l.reason),
                })
            })
            .collect();
        self.live_locks = Some(serde_json::Value::from(rules).to_string());
        let holds = locks.iter().find(|l| l.by_on == l.when).map(|l| l.reason);
        self.locked(holds, on)
    }

    /// A note shown beside the control, its element's id and `data-testid` being `id`.
    pub(crate) fn note(mut self, id: &str, text: &str) -> Self {
        self.notes.push((id.to_owned(), text.to_owned()));
        self
    }

    /// The problems of `field` in a refused save: the control is marked invalid and the
    /// messages shown beside it.
    pub(crate) fn problems(mut self, field: &str, problems: &[FormProblem]) -> Self {
        self.error = messages_of(field, problems).map(|m| (FormProblem::error_id(field), m));
        self
    }

    fn described_by(&self) -> String {
        let mut ids = vec![format!("{}-help", self.id)];
        if self.reason.is_some() {
            ids.push(format!("{}-reason", self.id));
        }
        ids.extend(self.notes.iter().map(|(id, _)| id.clone()));
        ids.extend(self.error.iter().map(|(id, _)| id.clone()));
        ids.join(" ")
    }

    fn attributes(&self) -> String {
        let id = html_escape(&self.id);
        let mut a = format!(" id=\"{id}\" data-testid=\"{id}\"");
        if !self.name.is_empty() && !matches!(self.kind, Kind::ReadOnly(_)) {
            a.push_str(&format!(" name=\"{}\"", html_escape(&self.name)));
        }
        if self.disabled {
            a.push_str(" disabled");
        }
        if let Some(rules) = &self.live_locks {
            a.push_str(&format!(" data-locks=\"{}\"", html_escape(rules)));
        }
        if self.error.is_some() {
            a.push_str(" aria-invalid=\"true\"");
        }
        a.push_str(&format!(
            " aria-describedby=\"{}\"",
            html_escape(&self.described_by())
        ));
        a
    }

    fn input(&self) -> String {
        let a = self.attributes();
        match &self.kind {
            Kind::Checkbox(on) => {
                let checked = if *on { " checked" } else { "" };
                format!("<input type=\"checkbox\" value=\"on\"{a}{checked}>")
            }
            Kind::Text(kind, value) => format!(
                "<input type=\"{kind}\" value=\"{}\" autocomplete=\"off\"{a}>",
                html_escape(value)
            ),
            Kind::Number(value, min, max) => format!(
                "<input type=\"number\" min=\"{min}\" max=\"{max}\" step=\"1\" inputmode=\"numeric\" \
value=\"{}\"{a}>",
                html_escape(value)
            ),
            Kind::Select(options, selected) => {
                let options: String = options
                    .iter()
                    .map(|(value, text)| {
                        let chosen = if value == selected { " selected" } else { "" };
                        format!(
                            "<option value=\"{}\"{chosen}>{}</option>",
                            html_escape(value),
                            html_escape(text)
                        )
                    })
                    .collect();
                format!("<select{a}>{options}</select>")
            }
            Kind::Textarea(value) => {
                format!("<textarea rows=\"5\"{a}>{}</textarea>", html_escape(value))
            }
            Kind::ReadOnly(value) => format!(
                "<input type=\"text\" readonly value=\"{}\"{a}>",
                html_escape(value)
            ),
        }
    }

    /// The control as HTML.
    pub(crate) fn render(&self) -> String {
        let id = html_escape(&self.id);
        let label = format!("<label for=\"{id}\">{}</label>", html_escape(&self.label));
        let field = if matches!(self.kind, Kind::Checkbox(_)) {
            format!("<div class=\"check\">{}{label}</div>", self.input())
        } else {
            format!("{label}{}", self.input())
        };
        let help = format!(
            "<p class=\"help\" id=\"{id}-help\">{}</p>",
            html_escape(&self.help)
        );
        // A switch with live locks always has the place for its reason, hidden while none
        // holds, for the script to fill.
        let reason = match (&self.reason, &self.live_locks) {
            (Some(r), _) => format!(
                "<p class=\"reason\" id=\"{id}-reason\" data-testid=\"{id}-reason\">{}</p>",
                html_escape(r)
            ),
            (None, Some(_)) => {
                format!("<p class=\"reason\" id=\"{id}-reason\" data-testid=\"{id}-reason\" hidden></p>")
            }
            (None, None) => String::new(),
        };
        let notes: String = self
            .notes
            .iter()
            .map(|(note, text)| {
                let note = html_escape(note);
                format!(
                    "<p class=\"warning\" id=\"{note}\" data-testid=\"{note}\">{}</p>",
                    html_escape(text)
                )
            })
            .collect();
        let error = self.error.as_ref().map_or(String::new(), |(eid, m)| {
            let eid = html_escape(eid);
            format!(
                "<p class=\"error\" id=\"{eid}\" data-testid=\"{eid}\">{}</p>",
                html_escape(m)
            )
        });
        format!("<div class=\"control\">{field}{help}{reason}{notes}{error}</div>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(
            html_escape("<script>alert(\"x\" & 'y')</script>"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn a_locked_switch_is_disabled_only_while_off() {
        let off = Control::new("om-x", "x", "X", "Help", Kind::Checkbox(false))
            .locked(Some("Needs Y"), false)
            .render();
        assert!(off.contains(" disabled"), "{off}");
        assert!(off.contains("data-testid=\"om-x-reason\""));
        assert!(off.contains("aria-describedby=\"om-x-help om-x-reason\""));
        let on = Control::new("om-x", "x", "X", "Help", Kind::Checkbox(true))
            .locked(Some("Needs Y"), true)
            .render();
        assert!(!on.contains(" disabled"), "{on}");
    }

    #[test]
    fn a_switch_locked_by_others_carries_its_rules_and_a_place_for_its_reason() {
        let lock = |by_on| Lock {
            by: "om-y".into(),
            by_on,
            when: false,
            reason: "Needs \"Y\"",
        };
        let free = Control::new("om-x", "x", "X", "Help", Kind::Checkbox(false))
            .locked_by(&[lock(true)], false)
            .render();
        assert!(!free.contains(" disabled"), "{free}");
        assert!(free.contains(
            "data-locks=\"[{&quot;by&quot;:&quot;om-y&quot;,&quot;reason&quot;:&quot;Needs \\&quot;Y\\&quot;&quot;,\
&quot;reason_on&quot;:&quot;Needs \\&quot;Y\\&quot;: untick it to save&quot;,&quot;when&quot;:false}]\""
        ), "{free}");
        assert!(free.contains(
            "<p class=\"reason\" id=\"om-x-reason\" data-testid=\"om-x-reason\" hidden></p>"
        ));
        assert!(free.contains("aria-describedby=\"om-x-help\""), "{free}");
        let held = Control::new("om-x", "x", "X", "Help", Kind::Checkbox(false))
            .locked_by(&[lock(false)], false)
            .render();
        assert!(held.contains(" disabled"), "{held}");
        assert!(held.contains(">Needs &quot;Y&quot;</p>"), "{held}");
        assert!(held.contains("aria-describedby=\"om-x-help om-x-reason\""));
        let on = Control::new("om-x", "x", "X", "Help", Kind::Checkbox(true))
            .locked_by(&[lock(false)], true)
            .render();
        assert!(!on.contains(" disabled"), "{on}");
        assert!(
            on.contains(">Needs &quot;Y&quot;: untick it to save</p>"),
            "{on}"
        );
    }

    #[test]
    fn a_problem_marks_the_control_and_is_shown_beside_it() {
        let problems = vec![FormProblem::new("operation.x", "Wrong <b>")];
        let c = Control::new("om-x", "x", "X", "Help", Kind::Checkbox(true))
            .problems("operation.x", &problems)
            .render();
        assert!(c.contains("aria-invalid=\"true\""));
        assert!(c.contains("data-testid=\"error-operation-x\">Wrong &lt;b&gt;</p>"));
        let summary = error_summary(Page::Operation, &problems);
        assert!(summary.contains("href=\"#om-x\""), "{summary}");
    }
}
