//! The browser entry point of the server-rendered portal: hydrates the HTML the server sent.
//! (The client-side-rendered build for Trunk starts in `main.rs`.)

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(portico_app::App);
}
