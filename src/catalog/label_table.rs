//! Bounded multi-label value sets registered at init: [`LabelTable`] and its row key
//! [`LabelKey`]. Every instrument over runtime values (package × tier, provider × model, pool,
//! queue, breaker…) is pre-bound to the rows of one table; an unregistered value counts as
//! [`OTHER`], so the series count is fixed when the table is built.

use std::borrow::Cow;

/// The label value unregistered values are counted under.
pub const OTHER: &str = "other";

/// At most this many rows (label-value combinations) per table; registrations beyond it are
/// dropped with a warning (they are series: keep tables small).
pub const MAX_ROWS: usize = 1024;

/// At most this many bytes per registered label value (longer ones are cut at a character
/// boundary).
pub const MAX_VALUE_LEN: usize = 128;

/// One to three labels whose value combinations are registered up front.
///
/// Build it with [`new`](Self::new) (one label), [`cross`](Self::cross) (every combination
/// with another label) or [`pairs`](Self::pairs) (only the combinations you name, such as
/// models per provider). [`OTHER`] rows are added so that any value finds a row: an unknown
/// value of a label becomes `other` (in a [`pairs`](Self::pairs) table, so does the label
/// after it).
///
/// An `other` row is a *fallback* row ([`is_fallback`](Self::is_fallback)): the instruments
/// over a table bind and export it only from the first unregistered value that lands on it, so
/// a scrape shows no `other` series (and no value for a name nobody registered) until one is
/// used. The registered rows are bound up front and export from the start. The series an
/// instrument can export is at most [`len`](Self::len) per outcome; until an unregistered
/// value arrives, [`registered_len`](Self::registered_len).
///
/// # Examples
///
/// ```
/// use marketplace_telemetry::marketplace::{LabelTable, OTHER};
///
/// let tiers = LabelTable::new("package", ["serde", "tokio"]).cross("tier", ["free", "pro"]);
/// assert_eq!(tiers.len(), 3 * 3); // {serde, tokio, other} × {free, pro, other}
/// let key = tiers.key(&["tokio", "pro"]);
/// assert_eq!(tiers.values(key), ["tokio", "pro"]);
/// assert_eq!(tiers.values(tiers.key(&["left-pad", "pro"])), [OTHER, "pro"]);
///
/// let models = LabelTable::pairs(
///     ["gen_ai.provider.name", "gen_ai.request.model"],
///     [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4")],
/// );
/// assert_eq!(models.values(models.key(&["openai", "gpt-5"])), ["openai", OTHER]);
/// assert_eq!(models.values(models.key(&["mistral", "large"])), [OTHER, OTHER]);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct LabelTable {
    keys: Box<[Cow<'static, str>]>,
    /// Row-major: `rows.len() == len() × keys.len()`.
    cells: Box<[Cow<'static, str>]>,
    /// Each label's values when the rows are every combination of them in row-major order
    /// (`new`, `cross`): a lookup is then one short scan per label, not one over the rows.
    axes: Option<Box<[Values]>>,
    /// Per row: whether it exists only for unregistered values (an [`OTHER`] this table added).
    fallback: Box<[bool]>,
}

/// The values of one label.
type Values = Box<[Cow<'static, str>]>;

/// A row of a [`LabelTable`]: resolve it once with [`LabelTable::key`] and keep it, so the hot
/// path is an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LabelKey(pub(crate) u32);

/// Whether a value of an axis is the fallback [`OTHER`] that `new` adds (always its last).
fn is_other(axis: &[Cow<'static, str>], i: usize, open: bool) -> bool {
    open && i + 1 == axis.len() && axis[i] == OTHER
}

impl LabelKey {
    /// The row's position in its table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl std::fmt::Debug for LabelTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelTable")
            .field("keys", &self.keys)
            .field("rows", &self.len())
            .finish()
    }
}

fn value(v: impl Into<Cow<'static, str>>) -> Cow<'static, str> {
    let v = v.into();
    let trimmed = v.trim();
    if trimmed.is_empty() {
        return Cow::Borrowed(OTHER);
    }
    if trimmed.len() <= MAX_VALUE_LEN && trimmed.len() == v.len() {
        return v;
    }
    let mut end = trimmed.len().min(MAX_VALUE_LEN);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(trimmed[..end].to_string())
}

impl LabelTable {
    /// One label `key` with the registered `values` (deduplicated) and [`OTHER`].
    pub fn new<K, I, V>(key: K, values: I) -> Self
    where
        K: Into<Cow<'static, str>>,
        I: IntoIterator<Item = V>,
        V: Into<Cow<'static, str>>,
    {
        let mut cells: Vec<Cow<'static, str>> = Vec::new();
        for v in values.into_iter().map(value) {
            if v != OTHER && !cells.contains(&v) && cells.len() + 1 < MAX_ROWS {
                cells.push(v);
            }
        }
        cells.push(Cow::Borrowed(OTHER));
        let fallback = (0..cells.len()).map(|i| i + 1 == cells.len()).collect();
        LabelTable {
            keys: Box::new([key.into()]),
            axes: Some(Box::new([cells.clone().into()])),
            cells: cells.into(),
            fallback,
        }
    }

    /// A closed set (an enum's values): no [`OTHER`] row.
    pub(crate) fn closed(key: &'static str, values: &[&'static str]) -> Self {
        let cells: Box<[Cow<'static, str>]> = values.iter().map(|v| Cow::Borrowed(*v)).collect();
        LabelTable {
            keys: Box::new([Cow::Borrowed(key)]),
            axes: Some(Box::new([cells.clone()])),
            fallback: vec![false; cells.len()].into(),
            cells,
        }
    }

    /// Every combination of this table's rows with `key`'s registered `values` (and
    /// [`OTHER`]). At most three labels make sense; rows beyond [`MAX_ROWS`] are dropped.
    pub fn cross<K, I, V>(self, key: K, values: I) -> Self
    where
        K: Into<Cow<'static, str>>,
        I: IntoIterator<Item = V>,
        V: Into<Cow<'static, str>>,
    {
        self.product(&LabelTable::new(key, values))
    }

    /// Every combination of the rows of `self` and `other` (`self`'s labels first). Past
    /// [`MAX_ROWS`] combinations, registered values are dropped (the last ones of the longest
    /// label first, with a warning) until every combination of what is left fits: the
    /// [`OTHER`] rows stay, so a dropped value counts as `other`, never as another row.
    pub fn product(&self, other: &LabelTable) -> Self {
        let mut keys: Vec<_> = self.keys.to_vec();
        keys.extend(other.keys.iter().cloned());
        if let (Some(a), Some(b)) = (&self.axes, &other.axes) {
            // Each axis with whether it ends in the fallback `other` (tables from `new` do).
            // An axis is open when its values end in the `other` its table added.
            let open = |t: &LabelTable, i: usize| {
                (0..t.len()).any(|r| t.fallback[r] && t.row(r)[i] == OTHER)
            };
            let mut axes: Vec<(Vec<Cow<'static, str>>, bool)> = a
                .iter()
                .enumerate()
                .map(|(i, v)| (v.to_vec(), open(self, i)))
                .chain(
                    b.iter()
                        .enumerate()
                        .map(|(i, v)| (v.to_vec(), open(other, i))),
                )
                .collect();
            let mut truncated = false;
            while axes.iter().map(|(v, _)| v.len()).product::<usize>() > MAX_ROWS {
                let registered =
                    |(v, open): &(Vec<Cow<'static, str>>, bool)| v.len() - usize::from(*open);
                let Some(longest) = (0..axes.len())
                    .filter(|&i| registered(&axes[i]) > 0)
                    .max_by_key(|&i| (axes[i].0.len(), i))
                else {
                    break;
                };
                let (values, open) = &mut axes[longest];
                let last = values.len() - 1 - usize::from(*open);
                values.remove(last);
                truncated = true;
            }
            if axes.iter().map(|(v, _)| v.len()).product::<usize>() <= MAX_ROWS {
                if truncated {
                    tracing::warn!(
                        target: "marketplace_telemetry",
                        max = MAX_ROWS,
                        "label table truncated: too many label combinations; the values left \
                         out count as other"
                    );
                }
                return Self::from_axes(keys, axes);
            }
        }
        // Tables without axes (`pairs`): every combination of rows, `self`'s rows cut past
        // MAX_ROWS, its fallback rows kept.
        let per = other.len().max(1);
        let keep = (MAX_ROWS / per).max(1);
        let mut rows_a: Vec<usize> = (0..self.len()).filter(|&r| self.fallback[r]).collect();
        rows_a.truncate(keep);
        for r in (0..self.len()).filter(|&r| !self.fallback[r]) {
            if rows_a.len() == keep {
                tracing::warn!(
                    target: "marketplace_telemetry",
                    max = MAX_ROWS,
                    "label table truncated: too many label combinations"
                );
                break;
            }
            rows_a.push(r);
        }
        rows_a.sort_unstable();
        let mut cells = Vec::new();
        let mut fallback = Vec::new();
        for &a in &rows_a {
            for b in 0..other.len() {
                cells.extend(self.row(a).iter().cloned());
                cells.extend(other.row(b).iter().cloned());
                fallback.push(self.fallback[a] || other.fallback[b]);
            }
        }
        LabelTable {
            keys: keys.into(),
            cells: cells.into(),
            axes: None,
            fallback: fallback.into(),
        }
    }

    /// Every combination of `axes` in row-major order; a row is a fallback row when one of
    /// its values is an open axis's [`OTHER`].
    fn from_axes(keys: Vec<Cow<'static, str>>, axes: Vec<(Vec<Cow<'static, str>>, bool)>) -> Self {
        let rows: usize = axes.iter().map(|(v, _)| v.len()).product();
        let mut cells = Vec::with_capacity(rows * axes.len());
        let mut fallback = Vec::with_capacity(rows);
        for mut r in 0..rows {
            let mut picks = vec![0; axes.len()];
            for (i, (values, _)) in axes.iter().enumerate().rev() {
                picks[i] = r % values.len();
                r /= values.len();
            }
            let mut is_fallback = false;
            for (i, (values, open)) in axes.iter().enumerate() {
                cells.push(values[picks[i]].clone());
                is_fallback |= is_other(values, picks[i], *open);
            }
            fallback.push(is_fallback);
        }
        LabelTable {
            keys: keys.into(),
            cells: cells.into(),
            axes: Some(axes.into_iter().map(|(v, _)| v.into()).collect()),
            fallback: fallback.into(),
        }
    }

    /// Two labels with only the registered `(first, second)` combinations, plus
    /// `(first, other)` for each `first` and `(other, other)`.
    pub fn pairs<K, I, A, B>(keys: [K; 2], pairs: I) -> Self
    where
        K: Into<Cow<'static, str>>,
        I: IntoIterator<Item = (A, B)>,
        A: Into<Cow<'static, str>>,
        B: Into<Cow<'static, str>>,
    {
        let [k1, k2] = keys;
        let mut rows: Vec<[Cow<'static, str>; 2]> = Vec::new();
        let mut push = |row: [Cow<'static, str>; 2]| {
            if !rows.contains(&row) && rows.len() + 2 < MAX_ROWS {
                rows.push(row);
            }
        };
        for (a, b) in pairs {
            let a = value(a);
            if a == OTHER {
                continue;
            }
            push([a, value(b)]);
        }
        // Group by the first label, each group closed by its `other` row.
        let mut firsts: Vec<Cow<'static, str>> = Vec::new();
        for r in &rows {
            if !firsts.contains(&r[0]) {
                firsts.push(r[0].clone());
            }
        }
        let mut cells = Vec::new();
        let mut fallback = Vec::new();
        for f in &firsts {
            for r in rows.iter().filter(|r| &r[0] == f && r[1] != OTHER) {
                cells.extend(r.iter().cloned());
                fallback.push(false);
            }
            cells.extend([f.clone(), Cow::Borrowed(OTHER)]);
            fallback.push(true);
        }
        cells.extend([Cow::Borrowed(OTHER), Cow::Borrowed(OTHER)]);
        fallback.push(true);
        LabelTable {
            keys: Box::new([k1.into(), k2.into()]),
            cells: cells.into(),
            axes: None,
            fallback: fallback.into(),
        }
    }

    /// The label names.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.keys.iter().map(|k| k.as_ref())
    }

    /// Number of rows (series per outcome of each instrument over this table).
    pub fn len(&self) -> usize {
        if self.keys.is_empty() {
            1
        } else {
            self.cells.len() / self.keys.len()
        }
    }

    /// Rows for registered values only (not [fallback](Self::is_fallback) rows): the series
    /// per outcome an instrument over this table exports before an unregistered value is
    /// seen.
    pub fn registered_len(&self) -> usize {
        self.fallback.iter().filter(|f| !**f).count()
    }

    /// Whether row `key` exists only for unregistered values (it holds an [`OTHER`] the
    /// table added). Instruments bind such a row on first use, so it is not exported before.
    pub fn is_fallback(&self, key: LabelKey) -> bool {
        self.fallback.get(key.index()).copied().unwrap_or(false)
    }

    /// Always false: a table has at least one row.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub(crate) fn row(&self, i: usize) -> &[Cow<'static, str>] {
        let n = self.keys.len();
        self.cells.get(i * n..(i + 1) * n).unwrap_or(&[])
    }

    /// The label values of a row.
    pub fn values(&self, key: LabelKey) -> &[Cow<'static, str>] {
        self.row(key.index())
    }

    /// The row of `values` (one per label, in order): the exact row when registered, else
    /// the row with [`OTHER`] from the first unregistered value on. Never allocates. A wrong
    /// number of values is treated as unregistered.
    pub fn key(&self, values: &[&str]) -> LabelKey {
        let n = self.keys.len();
        if n == 0 {
            return LabelKey(0);
        }
        if let (Some(axes), true) = (&self.axes, values.len() == n) {
            let mut index = 0;
            for (axis, v) in axes.iter().zip(values) {
                let at = axis
                    .iter()
                    .position(|a| a == v)
                    .or_else(|| axis.iter().position(|a| a == OTHER));
                match at {
                    Some(at) => index = index * axis.len() + at,
                    None => return self.fallback(values),
                }
            }
            return LabelKey(index as u32);
        }
        if values.len() == n {
            for i in 0..self.len() {
                if self.row(i).iter().zip(values).all(|(a, b)| a == b) {
                    return LabelKey(i as u32);
                }
            }
        }
        self.fallback(values)
    }

    #[cold]
    fn fallback(&self, values: &[&str]) -> LabelKey {
        let n = self.keys.len().min(64);
        // Position by position: keep a value if some row has it after the prefix kept so far,
        // else `other` (a bit in `mask`).
        let mut mask: u64 = 0;
        let norm = |j: usize, mask: u64| -> &str {
            match values.get(j) {
                Some(v) if mask & (1 << j) == 0 => v,
                _ => OTHER,
            }
        };
        for i in 0..n {
            let found = (0..self.len()).any(|r| {
                let row = self.row(r);
                (0..=i).all(|j| row[j] == norm(j, mask))
            });
            if !found {
                mask |= 1 << i;
            }
        }
        let row = (0..self.len()).find(|&r| {
            let row = self.row(r);
            (0..n).all(|j| row[j] == norm(j, mask))
        });
        // No row holds the kept prefix: the last fallback row (all `other` where the table
        // has one), never a registered row.
        let row = row
            .or_else(|| (0..self.len()).rev().find(|&r| self.fallback[r]))
            .unwrap_or(self.len().saturating_sub(1));
        LabelKey(row as u32)
    }

    /// The `KeyValue`s of a row, for binding.
    pub(crate) fn attributes(&self, i: usize) -> Vec<opentelemetry::KeyValue> {
        self.keys
            .iter()
            .zip(self.row(i))
            .map(|(k, v)| opentelemetry::KeyValue::new(k.clone(), v.clone()))
            .collect()
    }

    /// `k="v",…` of a row, for log events.
    pub(crate) fn describe(&self, i: usize) -> String {
        self.keys
            .iter()
            .zip(self.row(i))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_covers_every_combination_with_other() {
        let t = LabelTable::new("a", ["x", "y", "x", ""]).cross("b", ["1"]);
        assert_eq!(t.len(), 3 * 2);
        for a in ["x", "y", "zz"] {
            for b in ["1", "2"] {
                let v = t.values(t.key(&[a, b]));
                // In a cross table every combination exists: each label falls back alone.
                let want_a = if a == "zz" { OTHER } else { a };
                let want_b = if b == "2" { OTHER } else { b };
                assert_eq!(v, [want_a, want_b], "{a} {b}");
            }
        }
    }

    #[test]
    fn pairs_fall_back_per_prefix() {
        let t = LabelTable::pairs(["p", "m"], [("o", "g"), ("o", "h"), ("a", "c")]);
        assert_eq!(t.len(), 2 + 1 + 1 + 1 + 1);
        assert_eq!(t.values(t.key(&["o", "h"])), ["o", "h"]);
        assert_eq!(t.values(t.key(&["o", "z"])), ["o", OTHER]);
        assert_eq!(t.values(t.key(&["a", "g"])), ["a", OTHER]);
        assert_eq!(t.values(t.key(&["q", "g"])), [OTHER, OTHER]);
        assert_eq!(t.values(t.key(&["o"])), ["o", OTHER]);
    }

    #[test]
    fn values_are_bounded_in_length_and_rows_in_number() {
        let long = "é".repeat(200);
        let t = LabelTable::new("k", [long]);
        assert!(t.row(0)[0].len() <= MAX_VALUE_LEN);
    }

    #[test]
    fn a_truncated_table_maps_dropped_and_unknown_values_to_other() {
        let t = LabelTable::new("a", (0..100).map(|i| i.to_string()))
            .cross("b", (0..100).map(|i| i.to_string()));
        assert!(t.len() <= MAX_ROWS, "{}", t.len());
        assert_eq!(
            t.len(),
            32 * 32,
            "31 registered values of each label and other"
        );
        // Kept values resolve to themselves, dropped and unknown ones to `other`, label by
        // label — never to another registered row (the fault: ["zz","13"] → ["10","13"]).
        let cases: [([&str; 2], [&str; 2]); 6] = [
            (["10", "13"], ["10", "13"]),
            (["zz", "13"], [OTHER, "13"]),
            (["10", "zz"], ["10", OTHER]),
            (["99", "99"], [OTHER, OTHER]),
            (["10", "99"], ["10", OTHER]),
            (["zz", "zz"], [OTHER, OTHER]),
        ];
        for (input, want) in cases {
            assert_eq!(t.values(t.key(&input)), want, "{input:?}");
        }
        // Every (other, x) and (x, other) row survived the truncation.
        for v in (0..31).map(|i| i.to_string()) {
            assert_eq!(t.values(t.key(&["zz", &v])), [OTHER, v.as_str()]);
        }
    }

    #[test]
    fn fallback_rows_are_the_ones_with_an_added_other() {
        let t = LabelTable::new("package", ["serde", "tokio"]).cross("tier", ["free", "pro"]);
        assert_eq!((t.len(), t.registered_len()), (9, 4));
        for i in 0..t.len() {
            let key = LabelKey(i as u32);
            assert_eq!(
                t.is_fallback(key),
                t.values(key).contains(&Cow::Borrowed(OTHER))
            );
        }
        let p = LabelTable::pairs(["p", "m"], [("o", "g"), ("a", "c")]);
        assert_eq!((p.len(), p.registered_len()), (5, 2));
        let closed = LabelTable::closed("op", &["chat", "embeddings"]).product(&p);
        assert_eq!((closed.len(), closed.registered_len()), (10, 4));
        assert!(!closed.is_fallback(closed.key(&["chat", "o", "g"])));
        assert!(closed.is_fallback(closed.key(&["chat", "o", "zz"])));
    }
}
