//! The README's table of exported series is exactly the catalog's.

#[test]
fn the_readme_series_table_is_generated_from_the_catalog() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = marketplace_telemetry::marketplace::catalog::markdown_table(None);
    assert!(
        readme.contains(&table),
        "README.md's series table is out of date; replace it with:\n{table}"
    );
}

#[test]
fn the_readme_platform_table_is_generated_from_the_catalog() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = marketplace_telemetry::marketplace::catalog::platform_table(None);
    assert!(
        readme.contains(&table),
        "README.md's platform table is out of date; replace it with:\n{table}"
    );
}
