//! Random JSON documents for the readers' agreement tests: a deterministic generator of
//! values in and around the fast reader's subset, and single-byte mutations of them.

/// A small xorshift generator: deterministic, no dependency.
pub(super) struct Rng(pub(super) u64);
impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub(super) const NAMES: [&str; 8] = ["a", "b", "aud", "exp", "kid", "\\u0061", "r\\u00e9le", "é"];
pub(super) const STRINGS: [&str; 16] = [
    "",
    "x",
    "alice",
    "a b",
    "caf\u{e9}",
    "\\\"",
    "\\n",
    "\\ud800",
    "\\ud83d\\ude00",
    "\u{1f600}",
    "mcp+http://127.0.0.1:8000/mcp",
    "0123456789\\u0041bcdef",
    "0123456789abcdef\\\"",
    "r\u{f4}le-\u{e9}t\u{e9}-0123456789",
    "01234567\u{1}89",
    "0123456789abcdef\u{7f}\u{1f}",
];
pub(super) const NUMBERS: [&str; 14] = [
    "0",
    "7",
    "1700000270",
    "18446744073709551615",
    "18446744073709551616",
    "-1",
    "-0",
    "1.5",
    "1e3",
    "2E-2",
    "01",
    "00",
    "1.",
    "99999999999999999999999",
];

pub(super) fn value(r: &mut Rng, depth: usize, out: &mut String) {
    let ws = |r: &mut Rng, out: &mut String| {
        if r.below(6) == 0 {
            out.push_str([" ", "\n", "\t", "\r", "  "][r.below(5)]);
        }
    };
    ws(r, out);
    match if depth > 3 { r.below(5) } else { r.below(8) } {
        0 | 1 => {
            out.push('"');
            out.push_str(STRINGS[r.below(STRINGS.len())]);
            out.push('"');
        }
        2 => out.push_str(NUMBERS[r.below(NUMBERS.len())]),
        3 => out.push_str(["true", "false", "null"][r.below(3)]),
        4 => out.push_str(NUMBERS[r.below(4)]),
        5 => {
            out.push('[');
            for i in 0..r.below(4) {
                if i > 0 {
                    out.push(',');
                }
                value(r, depth + 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            let sorted = r.below(2) == 0;
            let n = r.below(5);
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                ws(r, out);
                out.push('"');
                if sorted {
                    out.push_str(["a", "b", "c", "d", "e"][i]);
                } else {
                    out.push_str(NAMES[r.below(NAMES.len())]);
                }
                out.push('"');
                ws(r, out);
                out.push(':');
                value(r, depth + 1, out);
            }
            out.push('}');
        }
    }
    ws(r, out);
}

pub(super) fn mutate(r: &mut Rng, doc: &[u8]) -> Vec<u8> {
    let mut d = doc.to_vec();
    let noise = b"\"\\,:{}[]0-.eE \x01\x7f\xff\xc3\xa9tn";
    for _ in 0..1 + r.below(2) {
        let at = if d.is_empty() {
            0
        } else {
            r.below(d.len() + 1)
        };
        match r.below(3) {
            0 if at < d.len() => {
                d.remove(at);
            }
            1 if at < d.len() => d[at] = noise[r.below(noise.len())],
            _ => d.insert(at, noise[r.below(noise.len())]),
        }
    }
    d
}
