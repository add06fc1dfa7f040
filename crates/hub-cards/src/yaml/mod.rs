//! YAML for card metadata: read with PyYAML's typing rules, written byte for byte as PyYAML's
//! `yaml.dump(data, sort_keys=False, allow_unicode=True)`.
//!
//! Reading goes through `granit-parser` (the event parser under serde-saphyr) rather than serde:
//! the YAML 1.1 types PyYAML gives plain scalars (`yes`, `0777`, `2023-01-31`) depend on whether
//! a scalar was quoted, which serde's data model does not carry. Writing is a port of the parts
//! of PyYAML's emitter that block-style dumps use (see [`emit`]).

mod emit;
mod parse;
mod resolve;

pub use emit::{python_float_repr, to_yaml_string};
pub use parse::{ParsedYaml, parse_yaml};
