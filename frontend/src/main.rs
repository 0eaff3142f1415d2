//! The client-side-rendered build of the same app, for `trunk serve`: quick front-end
//! iteration against a running Portico, whose `/api` Trunk proxies.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(portico_app::App);
}
