//! The audit log's hash chain (reference §11: audit records that users cannot alter or delete).
//!
//! Every entry carries the hash of the entry before it and its own hash over its sequence
//! number, its fields and that previous hash. Changing a field, deleting an entry or swapping
//! two entries breaks the chain at the first entry touched; [`verify`] finds it. The encoding
//! hashed is length-prefixed, so no choice of field contents can make two different entries
//! hash alike.
//!
//! With an [`AuditKey`] (a secret kept outside the database) entries are chained by
//! HMAC-SHA-256 instead (RFC 2104), from the first entry appended with the key: someone who
//! holds only the database can no longer rewrite the log and recompute the chain. An
//! [`Anchor`] is the head (sequence and hash) written outside the database from time to time:
//! a log cut short behind the store's back no longer reaches it.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The secret that keys the chain.
#[derive(Clone)]
pub struct AuditKey(Vec<u8>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

impl AuditKey {
    /// At least 16 bytes of secret (a key file's text or `ANJU_AUDIT_KEY`), whitespace around
    /// it ignored.
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        let trimmed = secret.trim_ascii();
        if trimmed.len() < 16 {
            return Err("审计密钥至少需要16个字符".into());
        }
        Ok(Self(trimmed.to_vec()))
    }

    fn mac(&self) -> Hmac<Sha256> {
        #[allow(clippy::expect_used)]
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length")
    }

    /// A value that tells whether a key is the one the chain was started with, without
    /// revealing it.
    pub fn check_value(&self) -> String {
        let mut m = self.mac();
        m.update(b"anju audit key check v1");
        hex::encode(m.finalize().into_bytes())
    }
}

/// A head written outside the database: at `at_ms`, the log held `seq` entries, the last
/// with `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub at_ms: i64,
    pub seq: i64,
    pub hash: String,
}

impl Anchor {
    /// One line of an anchor file: `at_ms seq hash`.
    pub fn to_line(&self) -> String {
        format!("{} {} {}", self.at_ms, self.seq, self.hash)
    }

    pub fn parse_line(line: &str) -> Option<Self> {
        let mut parts = line.split_whitespace();
        let at_ms = parts.next()?.parse().ok()?;
        let seq = parts.next()?.parse().ok()?;
        let hash = parts.next()?.to_owned();
        (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) && parts.next().is_none())
            .then_some(Anchor { at_ms, seq, hash })
    }
}

/// The previous-hash of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened to the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            "denied" => Some(Outcome::Denied),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Success => "成功",
            Outcome::Failure => "失败",
            Outcome::Denied => "拒绝",
        }
    }
}

/// One audit entry as stored. `at_ms` is milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub at_ms: i64,
    /// The account that acted (`None` when nobody was logged in, e.g. a failed login for an
    /// unknown name, whose attempted name goes into `object`).
    pub actor: Option<String>,
    /// The actor's region code, so that an auditor sees the entries of their own subtree.
    pub actor_region: Option<String>,
    pub action: String,
    pub object: String,
    pub outcome: Outcome,
    pub client: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The hash this entry must carry, given its fields and `prev_hash`, unkeyed.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        self.encode(|b| h.update(b));
        hex::encode(h.finalize())
    }

    /// The hash this entry must carry: keyed when `key` is given.
    pub fn compute_hash_with(&self, key: Option<&AuditKey>) -> String {
        match key {
            None => self.compute_hash(),
            Some(k) => {
                let mut m = k.mac();
                self.encode(|b| m.update(b));
                hex::encode(m.finalize().into_bytes())
            }
        }
    }

    /// The length-prefixed encoding that is hashed.
    fn encode(&self, mut out: impl FnMut(&[u8])) {
        let mut field = |bytes: &[u8]| {
            out(&(bytes.len() as u64).to_be_bytes());
            out(bytes);
        };
        field(&self.seq.to_be_bytes());
        field(&self.at_ms.to_be_bytes());
        match &self.actor {
            Some(a) => field(format!("+{a}").as_bytes()),
            None => field(b"-"),
        }
        match &self.actor_region {
            Some(a) => field(format!("+{a}").as_bytes()),
            None => field(b"-"),
        }
        field(self.action.as_bytes());
        field(self.object.as_bytes());
        field(self.outcome.as_str().as_bytes());
        field(self.client.as_bytes());
        field(self.detail.as_bytes());
        field(self.prev_hash.as_bytes());
    }
}

/// Where and why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("审计日志第{seq}条被篡改：内容与哈希不符")]
    Altered { seq: i64 },
    #[error("审计日志第{seq}条之前的记录缺失或顺序被改动（期望序号{expected}）")]
    Gap { seq: i64, expected: i64 },
    #[error("审计日志第{seq}条的前序哈希与上一条不符")]
    Unlinked { seq: i64 },
    #[error("审计日志末尾缺失：最后一条应为第{expected}条，实际为第{found}条")]
    Truncated { expected: i64, found: i64 },
}

impl ChainError {
    /// The sequence number of the first entry found broken.
    pub fn seq(&self) -> i64 {
        match *self {
            ChainError::Altered { seq }
            | ChainError::Gap { seq, .. }
            | ChainError::Unlinked { seq } => seq,
            ChainError::Truncated { found, .. } => found + 1,
        }
    }
}

/// Incremental verification, so a long log can be streamed from the database.
#[derive(Debug)]
pub struct Verifier {
    expected_seq: i64,
    prev_hash: String,
    /// The key, and the first sequence number chained with it.
    key: Option<(AuditKey, i64)>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS.to_owned(),
            key: None,
        }
    }
}

impl Verifier {
    /// A verifier for a chain keyed with `key` from entry `keyed_from` on.
    pub fn keyed(key: AuditKey, keyed_from: i64) -> Self {
        Self {
            key: Some((key, keyed_from)),
            ..Self::default()
        }
    }

    pub fn push(&mut self, e: &Entry) -> Result<(), ChainError> {
        if e.seq != self.expected_seq {
            return Err(ChainError::Gap {
                seq: e.seq,
                expected: self.expected_seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainError::Unlinked { seq: e.seq });
        }
        let key = self
            .key
            .as_ref()
            .filter(|(_, from)| e.seq >= *from)
            .map(|(k, _)| k);
        if e.compute_hash_with(key) != e.hash {
            return Err(ChainError::Altered { seq: e.seq });
        }
        self.expected_seq += 1;
        self.prev_hash.clone_from(&e.hash);
        Ok(())
    }

    /// Checks the end of the chain against the head the store keeps separately, which catches
    /// entries deleted from the end.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainError> {
        let last = self.expected_seq - 1;
        if last != head_seq || (head_seq > 0 && self.prev_hash != head_hash) {
            return Err(ChainError::Truncated {
                expected: head_seq,
                found: last,
            });
        }
        Ok(last)
    }
}

/// Verifies a whole chain held in memory; returns the number of entries.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    head_seq: i64,
    head_hash: &str,
) -> Result<i64, ChainError> {
    let mut v = Verifier::default();
    for e in entries {
        v.push(e)?;
    }
    v.finish(head_seq, head_hash)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain(n: usize) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for i in 0..n {
            let mut e = Entry {
                seq: i as i64 + 1,
                at_ms: 1_700_000_000_000 + i as i64,
                actor: (i % 3 != 0).then(|| format!("user{i}")),
                actor_region: Some("320100000000".into()),
                action: "login".into(),
                object: format!("user:{i}"),
                outcome: Outcome::Success,
                client: "127.0.0.1".into(),
                detail: String::new(),
                prev_hash: out.last().map_or(GENESIS.to_owned(), |p| p.hash.clone()),
                hash: String::new(),
            };
            e.hash = e.compute_hash();
            out.push(e);
        }
        out
    }

    fn head(c: &[Entry]) -> (i64, String) {
        c.last()
            .map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash.clone()))
    }

    #[test]
    fn a_keyed_chain_cannot_be_recomputed_without_the_key() {
        let key = AuditKey::new(b"0123456789abcdef-secret").unwrap();
        let mut c = chain(4);
        // Entries 3 and 4 were appended once the key was set.
        for i in 2..4 {
            c[i].prev_hash = c[i - 1].hash.clone();
            c[i].hash = c[i].compute_hash_with(Some(&key));
        }
        let (s, h) = head(&c);
        let mut v = Verifier::keyed(key.clone(), 3);
        for e in &c {
            v.push(e).unwrap();
        }
        assert_eq!(v.finish(s, &h), Ok(4));
        // Someone with only the database rewrites entry 4 and recomputes its hash unkeyed.
        let mut forged = c.clone();
        forged[3].outcome = Outcome::Failure;
        forged[3].hash = forged[3].compute_hash();
        let mut v = Verifier::keyed(key.clone(), 3);
        let err = forged.iter().try_for_each(|e| v.push(e)).unwrap_err();
        assert_eq!(err, ChainError::Altered { seq: 4 });
        // Another key does not verify it either.
        let other = AuditKey::new(b"another-secret-of-16+").unwrap();
        let mut v = Verifier::keyed(other.clone(), 3);
        assert!(c.iter().try_for_each(|e| v.push(e)).is_err());
        assert_ne!(key.check_value(), other.check_value());
        assert!(AuditKey::new(b"short").is_err());
    }

    #[test]
    fn anchors_read_back_what_they_wrote() {
        let a = Anchor {
            at_ms: 1_700_000_000_000,
            seq: 42,
            hash: "ab".repeat(32),
        };
        assert_eq!(Anchor::parse_line(&a.to_line()), Some(a));
        assert_eq!(Anchor::parse_line("1 2 xyz"), None);
        assert_eq!(Anchor::parse_line(""), None);
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(5);
        let (s, h) = head(&c);
        assert_eq!(verify(&c, s, &h), Ok(5));
        assert_eq!(verify(&[], 0, GENESIS), Ok(0));
    }

    #[test]
    fn an_altered_field_is_found_at_its_entry() {
        let mut c = chain(5);
        let (s, h) = head(&c);
        c[2].outcome = Outcome::Failure;
        assert_eq!(verify(&c, s, &h), Err(ChainError::Altered { seq: 3 }));
    }

    #[test]
    fn a_deleted_entry_is_found() {
        let mut c = chain(5);
        let (s, h) = head(&c);
        c.remove(1);
        assert_eq!(verify(&c, s, &h).unwrap_err().seq(), 3);
        let mut tail = chain(5);
        tail.pop();
        assert_eq!(
            verify(&tail, s, &h),
            Err(ChainError::Truncated {
                expected: 5,
                found: 4
            })
        );
    }

    #[test]
    fn reordered_entries_are_found() {
        let mut c = chain(5);
        let (s, h) = head(&c);
        c.swap(1, 3);
        assert_eq!(verify(&c, s, &h).unwrap_err().seq(), 4);
        // Renumbering the swapped entries to hide the gap breaks their hashes instead.
        let mut c = chain(5);
        c.swap(1, 3);
        c[1].seq = 2;
        c[3].seq = 4;
        assert_eq!(verify(&c, s, &h), Err(ChainError::Unlinked { seq: 2 }));
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        let mut a = chain(1).remove(0);
        let mut b = a.clone();
        a.action = "ab".into();
        a.object = "c".into();
        b.action = "a".into();
        b.object = "bc".into();
        assert_ne!(a.compute_hash(), b.compute_hash());
    }

    proptest! {
        #[test]
        fn any_single_change_breaks_the_chain(n in 1usize..12, pick in 0usize..12, text in "\\PC{1,8}") {
            let mut c = chain(n);
            let (s, h) = head(&c);
            let i = pick % n;
            let before = c[i].detail.clone();
            c[i].detail.push_str(&text);
            prop_assume!(c[i].detail != before);
            prop_assert_eq!(verify(&c, s, &h).unwrap_err().seq(), i as i64 + 1);
        }
    }
}
