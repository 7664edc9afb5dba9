//! The error banner (UI-16): errors the agent must see, dismissible.

use crate::{
    services::live::{use_adapter, BannerKind},
    ui::word,
};
use domain::labels::Label;
use leptos::prelude::*;

stylance::import_crate_style!(style, "src/ui/banner.module.css");

/// Shows the adapter's banner, if any.
#[component]
pub fn ErrorBanner() -> impl IntoView {
    let adapter = use_adapter();
    let dismiss = word(Label::Dismiss);
    move || {
        adapter.banner.get().map(|banner| {
            let (class, kind) = match banner.kind {
                BannerKind::Error => (stylance::classes!(style::banner, style::error), "error"),
                BannerKind::Notice => (stylance::classes!(style::banner, style::notice), "notice"),
            };
            view! {
                <div class=class role="alert" data-testid="error-banner" data-kind=kind>
                    <span class=style::text>
                        {banner.text}
                        {banner.detail.map(|d| view! { <small class=style::detail>{d}</small> })}
                    </span>
                    <button
                        type="button"
                        class=style::close
                        aria-label=dismiss
                        on:click=move |_| {
                            adapter.banner.set(None);
                            // The button went with the banner: the keyboard goes to the screen's
                            // first field, not the page (where the next Tab leaves the adapter).
                            request_animation_frame(|| {
                                if crate::ui::focus_lost() {
                                    crate::ui::focus_screen();
                                }
                            });
                        }
                    >
                        "×"
                    </button>
                </div>
            }
        })
    }
}
