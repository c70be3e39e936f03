use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
fn clocks(c: &mut Criterion) {
    c.bench_function("std_instant_now", |b| {
        b.iter(|| black_box(std::time::Instant::now()))
    });
    let clock = quanta::Clock::new();
    c.bench_function("quanta_now", |b| b.iter(|| black_box(clock.now())));
    c.bench_function("quanta_raw", |b| b.iter(|| black_box(clock.raw())));
    let i = std::time::Instant::now();
    c.bench_function("std_elapsed", |b| b.iter(|| black_box(i.elapsed())));
}
criterion_group!(benches, clocks);
criterion_main!(benches);
