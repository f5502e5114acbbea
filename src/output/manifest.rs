//! manifest.json: what a run read and wrote, with SHA-256 digests, the configuration's digest, counts and the
//! total — so an auditor can tell which inputs produced which bank file.

use super::atomic::Written;

use crate::domain::money::format_yuan;
use rust_decimal::Decimal;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    /// roster / standards / config
    pub role: String,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

impl InputFile {
    /// Size and SHA-256 of a file, read in 1 MiB pieces (a province's roster is not held a second time).
    pub fn read(role: &str, path: &Path) -> std::io::Result<InputFile> {
        use sha2::{Digest, Sha256};
        use std::io::Read;
        let mut file = std::fs::File::open(path)?;
        let (mut hasher, mut buf, mut bytes) = (Sha256::new(), vec![0u8; 1 << 20], 0u64);
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            bytes += n as u64;
        }
        let sha256 = super::atomic::hex(&hasher.finalize());
        Ok(InputFile { role: role.into(), path: path.display().to_string(), bytes, sha256 })
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Rows of the roster (people × 项目 rows).
    pub roster_rows: usize,
    /// Payment lines.
    pub payments: usize,
    /// Distinct recipients paid.
    pub paid_persons: usize,
    /// Bank transfers.
    pub transfers: usize,
    /// Exceptions (not paid, with a reason).
    pub exceptions: usize,
    /// 补发 lines.
    pub arrears: usize,
    /// 丧葬补助 lines.
    pub funerals: usize,
    /// Overpayments listed for 追缴.
    pub recoveries: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: &'static str,
    pub version: &'static str,
    pub command: String,
    pub month: String,
    pub created: String,
    pub inputs: Vec<InputFile>,
    /// Digest of the effective configuration (file or built-in defaults).
    pub config_sha256: String,
    pub rounding_policy: String,
    pub outputs: Vec<Written>,
    pub counts: Counts,
    /// Σ of all payment lines, 元 with two decimals.
    pub total: String,
    /// The ledger the draft was recorded in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger: Option<String>,
    /// The planned pay date, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_date: Option<String>,
    /// Why a late pay date was allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_reason: Option<String>,
}

impl Manifest {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        command: &str,
        month: &str,
        created: String,
        inputs: Vec<InputFile>,
        config_sha256: &str,
        rounding_policy: &str,
        outputs: Vec<Written>,
        counts: Counts,
        total: Decimal,
    ) -> Manifest {
        Manifest {
            tool: "youfu",
            version: env!("CARGO_PKG_VERSION"),
            command: command.into(),
            month: month.into(),
            created,
            inputs,
            config_sha256: config_sha256.to_string(),
            rounding_policy: rounding_policy.into(),
            outputs,
            counts,
            total: format_yuan(total),
            ledger: None,
            pay_date: None,
            late_reason: None,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("plain data");
        v.push(b'\n');
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::atomic::sha256_hex;

    #[test]
    fn an_input_file_is_hashed_in_pieces_as_a_whole() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("a.csv");
        std::fs::write(&small, b"abc").unwrap();
        let f = InputFile::read("roster", &small).unwrap();
        // SHA-256("abc")
        assert_eq!(
            (f.bytes, f.sha256.as_str()),
            (3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        // 2.5 MiB: three pieces, the same digest as the whole.
        let big: Vec<u8> = (0..(5u32 << 19)).map(|i| (i % 251) as u8).collect();
        let path = dir.path().join("b.csv");
        std::fs::write(&path, &big).unwrap();
        let f = InputFile::read("roster", &path).unwrap();
        assert_eq!((f.bytes, f.sha256), (big.len() as u64, sha256_hex(&big)));
    }
}
