//! Regenerates the generated part of `collector-config/` from the SDK's catalog.
//! `cargo run --example gen_assets --features assets [-- --namespace mockforge --out DIR]`

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let namespace = value("--namespace");
    let out = value("--out")
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/collector-config").to_string());
    for asset in marketplace_telemetry::assets::render(namespace.as_deref()) {
        let path = std::path::Path::new(&out).join(asset.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, asset.contents)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
