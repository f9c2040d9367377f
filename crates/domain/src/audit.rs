//! The audit log's hash chain (reference §11: audit records that users cannot alter or delete).
//!
//! Every entry carries the hash of the entry before it and its own hash over its sequence
//! number, its fields and that previous hash. Changing a field, deleting an entry or swapping
//! two entries breaks the chain at the first entry touched; [`verify`] finds it. The encoding
//! hashed is length-prefixed, so no choice of field contents can make two different entries
//! hash alike.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The previous-hash of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened to the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// The hash this entry must carry, given its fields and `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
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
        hex::encode(h.finalize())
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
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS.to_owned(),
        }
    }
}

impl Verifier {
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
        if e.compute_hash() != e.hash {
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
