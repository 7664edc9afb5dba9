//! Boots the adapter: panic hook, then mount the app. Everything else lives in the library.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(agent_adapter::App);
}
