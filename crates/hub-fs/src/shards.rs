//! Shard planning for safetensors checkpoints: Python's `split_state_dict_into_shards_factory`
//! and the `model.safetensors.index.json` it leads to, with the same plan, order and bytes.
//!
//! The plan is greedy in the order of the state dict, as Python's: a tensor goes to the
//! current shard unless it would overflow it, a tensor bigger than the limit gets a shard of
//! its own, and tensors sharing a storage are saved once, in the shard of the first of them.

use serde_json::Value;

use crate::error::{FsError, Result};

/// Python's default `max_shard_size` ("5GB").
pub const MAX_SHARD_SIZE: u64 = 5_000_000_000;

/// A tensor of the state dict, in state-dict order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSize {
    /// Tensor name.
    pub name: String,
    /// Size on disk in bytes.
    pub size: u64,
    /// Identifier of the storage; tensors with the same id share memory and are saved once.
    pub storage_id: Option<String>,
}

impl TensorSize {
    /// A tensor with its own storage.
    pub fn new(name: impl Into<String>, size: u64) -> Self {
        TensorSize {
            name: name.into(),
            size,
            storage_id: None,
        }
    }
}

/// The plan: which tensors go to which file, in Python's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDictSplit {
    /// `total_size` in bytes (shared storages counted once).
    pub total_size: u64,
    /// File name to tensor names, in file order.
    pub filename_to_tensors: Vec<(String, Vec<String>)>,
    /// Tensor name to file name, in file then tensor order.
    pub tensor_to_filename: Vec<(String, String)>,
}

impl StateDictSplit {
    /// Whether there is more than one file (and so an index to write).
    pub fn is_sharded(&self) -> bool {
        self.filename_to_tensors.len() > 1
    }

    /// The index file content as Python's `save_torch_state_dict` writes it
    /// (`json.dump(index, f, indent=2)`): `metadata` is `total_size` then `extra_metadata`.
    pub fn index_json(&self, extra_metadata: &[(String, Value)]) -> String {
        let mut meta: Vec<(String, Value)> =
            vec![("total_size".into(), Value::from(self.total_size))];
        for (k, v) in extra_metadata {
            match meta.iter_mut().find(|(mk, _)| mk == k) {
                Some(slot) => slot.1 = v.clone(),
                None => meta.push((k.clone(), v.clone())),
            }
        }
        let mut out = String::from("{\n  \"metadata\": ");
        write_object(
            &mut out,
            meta.iter().map(|(k, v)| (k.as_str(), v.clone())),
            2,
        );
        out.push_str(",\n  \"weight_map\": ");
        write_object(
            &mut out,
            self.tensor_to_filename
                .iter()
                .map(|(k, f)| (k.as_str(), Value::from(f.as_str()))),
            2,
        );
        out.push_str("\n}");
        out
    }
}

/// Python's `parse_size_to_int`: `"5GB"`, `"500MB"`, `"1.5KB"` (decimal units).
pub fn parse_size_to_int(size: &str) -> Result<u64> {
    let s = size.trim();
    let split = s.len().saturating_sub(2);
    let (value, unit) = (s.get(..split).unwrap_or(""), s.get(split..).unwrap_or(""));
    let mult: f64 = match unit.to_ascii_uppercase().as_str() {
        "TB" => 1e12,
        "GB" => 1e9,
        "MB" => 1e6,
        "KB" => 1e3,
        u => {
            return Err(FsError::InvalidArgument(format!(
                "Unit '{u}' not supported. Supported units are TB, GB, MB, KB. Got '{s}'."
            )));
        }
    };
    let v: f64 = value.trim().parse().map_err(|e| {
        FsError::InvalidArgument(format!("Could not parse the size value from '{s}': {e}"))
    })?;
    // Python's int() truncates toward zero.
    Ok((v * mult).max(0.0) as u64)
}

/// Plans the shards of `tensors` (state-dict order). `filename_pattern` contains `{suffix}`
/// (`model{suffix}.safetensors`), replaced by nothing for a single file and by
/// `-00001-of-00003` otherwise.
pub fn split_state_dict_into_shards(
    tensors: &[TensorSize],
    filename_pattern: &str,
    max_shard_size: u64,
) -> Result<StateDictSplit> {
    if !filename_pattern.contains("{suffix}") {
        return Err(FsError::InvalidArgument(format!(
            "filename_pattern '{filename_pattern}' must contain '{{suffix}}', e.g. 'model{{suffix}}.safetensors'"
        )));
    }
    let mut storages: Vec<(String, Vec<usize>)> = Vec::new();
    let mut shards: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut current_size = 0u64;
    let mut total = 0u64;
    for (i, t) in tensors.iter().enumerate() {
        if let Some(id) = &t.storage_id {
            if let Some((_, keys)) = storages.iter_mut().find(|(s, _)| s == id) {
                keys.push(i);
                continue;
            }
            storages.push((id.clone(), vec![i]));
        }
        if t.size > max_shard_size {
            total += t.size;
            shards.push(vec![i]);
            continue;
        }
        if current_size + t.size > max_shard_size {
            shards.push(std::mem::take(&mut current));
            current_size = 0;
        }
        current.push(i);
        current_size += t.size;
        total += t.size;
    }
    if !current.is_empty() {
        shards.push(current);
    }
    // Tensors sharing a storage join the shard of the first of them (appended, as a Python
    // dict appends new keys).
    for (_, keys) in &storages {
        if let Some(shard) = shards.iter_mut().find(|s| s.contains(&keys[0])) {
            for k in &keys[1..] {
                if !shard.contains(k) {
                    shard.push(*k);
                }
            }
        }
    }
    let name = |i: usize| tensors[i].name.clone();
    if shards.len() == 1 {
        let file = filename_pattern.replace("{suffix}", "");
        let all: Vec<String> = tensors.iter().map(|t| t.name.clone()).collect();
        return Ok(StateDictSplit {
            total_size: total,
            tensor_to_filename: all.iter().map(|n| (n.clone(), file.clone())).collect(),
            filename_to_tensors: vec![(file, all)],
        });
    }
    let n = shards.len();
    let mut filename_to_tensors = Vec::new();
    let mut tensor_to_filename: Vec<(String, String)> = Vec::new();
    for (idx, shard) in shards.iter().enumerate() {
        let file = filename_pattern.replace("{suffix}", &format!("-{:05}-of-{n:05}", idx + 1));
        for &i in shard {
            // A Python dict keeps the first position of a key assigned twice.
            match tensor_to_filename
                .iter_mut()
                .find(|(k, _)| *k == tensors[i].name)
            {
                Some(slot) => slot.1 = file.clone(),
                None => tensor_to_filename.push((name(i), file.clone())),
            }
        }
        filename_to_tensors.push((file, shard.iter().map(|&i| name(i)).collect()));
    }
    Ok(StateDictSplit {
        total_size: total,
        filename_to_tensors,
        tensor_to_filename,
    })
}

/// Writes `items` as a JSON object the way Python's `json.dumps(indent=2)` does at nesting
/// `level` (`ensure_ascii`, `": "` and `","` separators).
fn write_object<'a>(out: &mut String, items: impl Iterator<Item = (&'a str, Value)>, level: usize) {
    let items: Vec<_> = items.collect();
    if items.is_empty() {
        out.push_str("{}");
        return;
    }
    let pad = " ".repeat(level + 2);
    out.push_str("{\n");
    for (i, (k, v)) in items.iter().enumerate() {
        out.push_str(&pad);
        push_py_string(out, k);
        out.push_str(": ");
        write_value(out, v, level + 2);
        if i + 1 < items.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str(&" ".repeat(level));
    out.push('}');
}

fn write_value(out: &mut String, v: &Value, level: usize) {
    match v {
        Value::String(s) => push_py_string(out, s),
        Value::Object(m) => {
            write_object(out, m.iter().map(|(k, v)| (k.as_str(), v.clone())), level)
        }
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Array(a) => {
            let pad = " ".repeat(level + 2);
            out.push_str("[\n");
            for (i, x) in a.iter().enumerate() {
                out.push_str(&pad);
                write_value(out, x, level + 2);
                if i + 1 < a.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&" ".repeat(level));
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON string as Python's `json` writes it with `ensure_ascii=True`.
fn push_py_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_plan_in_state_dict_order() {
        let gb = 1_000_000_000;
        let t: Vec<TensorSize> = [6, 6, 2, 6, 2, 2]
            .iter()
            .enumerate()
            .map(|(i, s)| TensorSize::new(format!("t{i}"), s * gb))
            .collect();
        let p = split_state_dict_into_shards(&t, "model{suffix}.safetensors", 10 * gb).unwrap();
        let files: Vec<Vec<String>> = p
            .filename_to_tensors
            .iter()
            .map(|(_, v)| v.clone())
            .collect();
        assert_eq!(
            files,
            [vec!["t0"], vec!["t1", "t2"], vec!["t3", "t4", "t5"]]
        );
        assert_eq!(
            p.filename_to_tensors[0].0,
            "model-00001-of-00003.safetensors"
        );
        assert_eq!(p.total_size, 24 * gb);
        assert!(p.is_sharded());
        let one = split_state_dict_into_shards(&t[..1], "m{suffix}.bin", 10 * gb).unwrap();
        assert_eq!(
            one.filename_to_tensors,
            [("m.bin".to_owned(), vec!["t0".to_owned()])]
        );
        assert!(split_state_dict_into_shards(&t, "model.bin", 1).is_err());
    }

    #[test]
    fn sizes_and_json_strings() {
        assert_eq!(parse_size_to_int("5GB").unwrap(), 5_000_000_000);
        assert_eq!(parse_size_to_int(" 1.5kb ").unwrap(), 1500);
        assert!(parse_size_to_int("5GiB").is_err());
        let mut s = String::new();
        push_py_string(&mut s, "é\"\u{1F600}");
        assert_eq!(s, r#""\u00e9\"\ud83d\ude00""#);
    }
}
