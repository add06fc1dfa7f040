//! [`Card`]: a README with YAML front matter, and the [`RepoCard`], [`ModelCard`],
//! [`DatasetCard`] and [`SpaceCard`] aliases.

use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::data::{
    CardData, CardDataKind, DatasetCardData, LoadOptions, ModelCardData, SpaceCardData,
};
use crate::error::{Error, Result};
use crate::value::{Mapping, Value};
use crate::yaml::{ParsedYaml, parse_yaml, to_yaml_string};

/// The front-matter pattern of the Hub (and of `huggingface_hub`): optional leading
/// whitespace, `---`, the YAML, a line break and `---` ending the line or the text.
static YAML_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    // A constant pattern, exercised by every test that parses a card.
    #[allow(clippy::expect_used)]
    Regex::new(r"\A(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|\z))").expect("valid pattern")
});

/// Where the front matter is in a card's text.
pub(crate) struct FrontMatter<'a> {
    /// Byte range of the whole block, `---` lines included.
    pub(crate) whole: std::ops::Range<usize>,
    /// The YAML between the `---` lines.
    pub(crate) yaml: &'a str,
    /// Number of lines before the YAML (to report lines of the whole file).
    pub(crate) line_offset: usize,
}

pub(crate) fn find_front_matter(content: &str) -> Option<FrontMatter<'_>> {
    let caps = YAML_BLOCK.captures(content)?;
    let whole = caps.get(0)?;
    let yaml = caps.get(2)?;
    Some(FrontMatter {
        whole: whole.range(),
        yaml: yaml.as_str(),
        line_offset: content[..yaml.start()].matches('\n').count(),
    })
}

/// The YAML between the `---` lines of a card's front matter, found with the Hub's pattern;
/// `None` when the card has none.
pub fn front_matter(content: &str) -> Option<&str> {
    find_front_matter(content).map(|fm| fm.yaml)
}

/// Python's `_detect_line_ending` (the Hub's rule): `\r\n` when every line break is one, else
/// whichever of `\r` and `\n` is more frequent; `None` without any line break.
pub fn detect_line_ending(content: &str) -> Option<&'static str> {
    let cr = content.matches('\r').count();
    let lf = content.matches('\n').count();
    let crlf = content.matches("\r\n").count();
    if cr + lf == 0 {
        None
    } else if crlf == cr && crlf == lf {
        Some("\r\n")
    } else if cr > lf {
        Some("\r")
    } else {
        Some("\n")
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::String(_) => "str",
        Value::Timestamp(_) => "date",
        Value::List(_) => "list",
        Value::Map(_) => "dict",
    }
}

/// Parses front-matter YAML that must be a mapping (or empty). Lines in errors are lines of the
/// whole card.
pub(crate) fn parse_metadata(fm: &FrontMatter<'_>) -> Result<(Option<Mapping>, ParsedYaml)> {
    let parsed = parse_yaml(fm.yaml).map_err(|e| e.offset_lines(fm.line_offset))?;
    match &parsed.value {
        None | Some(Value::Null) => Ok((None, parsed)),
        Some(Value::Map(m)) => Ok((Some(m.clone()), parsed)),
        Some(other) => Err(Error::NotAMapping {
            line: parsed.root_line + fm.line_offset,
            found: kind_name(other),
        }),
    }
}

/// A repository card: YAML metadata ([`Card::data`]) and a Markdown body ([`Card::text`]).
///
/// Reading and writing follow `huggingface_hub.RepoCard`: the text is split at the front
/// matter, the YAML is typed as PyYAML types it, and [`Card::content`] writes the metadata
/// back with PyYAML's layout, the keys in the order the card had them, and the card's own
/// line endings. A card read and written again is unchanged when its YAML was written by
/// `huggingface_hub` (or by this crate); hand-written YAML is normalised (comments dropped,
/// quoting and indentation made canonical), exactly as Python normalises it.
#[derive(Debug, Clone, PartialEq)]
pub struct Card<D: CardDataKind> {
    /// The metadata of the front matter.
    pub data: D,
    /// The Markdown after the front matter (everything when there is none).
    pub text: String,
    original_order: Vec<String>,
    line_break: Option<&'static str>,
}

/// A card of any repository, with free-form metadata (Python's `RepoCard`).
pub type RepoCard = Card<CardData>;
/// A model card (Python's `ModelCard`).
pub type ModelCard = Card<ModelCardData>;
/// A dataset card (Python's `DatasetCard`).
pub type DatasetCard = Card<DatasetCardData>;
/// A Space card (Python's `SpaceCard`).
pub type SpaceCard = Card<SpaceCardData>;

impl<D: CardDataKind> Card<D> {
    /// Parses a card from its text (Python's `RepoCard(content)`).
    ///
    /// Errors: [`Error::Yaml`] for invalid YAML, [`Error::NotAMapping`] when the front matter
    /// is not a mapping, [`Error::ModelIndex`] for a malformed `model-index` (see
    /// [`Card::parse_with`] to drop it instead), each naming the line.
    pub fn parse(content: &str) -> Result<Self> {
        Self::parse_with(content, false)
    }

    /// [`Card::parse`], dropping an invalid `model-index` when `ignore_metadata_errors` is set
    /// (its eval results are then lost, as in Python).
    pub fn parse_with(content: &str, ignore_metadata_errors: bool) -> Result<Self> {
        let (metadata, text, key_line) = match find_front_matter(content) {
            Some(fm) => {
                let (meta, parsed) = parse_metadata(&fm)?;
                let line = parsed.key_line("model-index").map(|l| l + fm.line_offset);
                (meta.unwrap_or_default(), &content[fm.whole.end..], line)
            }
            None => (Mapping::new(), content, None),
        };
        let original_order = metadata.keys().map(str::to_string).collect();
        let data = D::from_mapping(
            metadata,
            LoadOptions {
                ignore_metadata_errors,
                model_index_line: key_line,
            },
        )?;
        Ok(Card {
            data,
            text: text.to_string(),
            original_order,
            line_break: detect_line_ending(content),
        })
    }

    /// A card with `data` and `text` and no card it was read from (keys in the data's order,
    /// `\n` line endings).
    pub fn from_parts(data: D, text: impl Into<String>) -> Self {
        Card {
            data,
            text: text.into(),
            original_order: Vec::new(),
            line_break: None,
        }
    }

    /// Reads a card from a local file, keeping its line endings.
    pub fn load_path(path: impl AsRef<Path>) -> Result<Self> {
        Self::load_path_with(path, false)
    }

    /// [`Card::load_path`] with `ignore_metadata_errors` (see [`Card::parse_with`]).
    pub fn load_path_with(path: impl AsRef<Path>, ignore_metadata_errors: bool) -> Result<Self> {
        let path = path.as_ref();
        let content = std::fs::read_to_string(path).map_err(|source| Error::Io {
            action: "reading",
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse_with(&content, ignore_metadata_errors)
    }

    /// The whole card: `---`, the metadata as YAML, `---`, then the text, with the line ending
    /// of the text the card was read from (`\n` for a new card).
    pub fn content(&self) -> String {
        let lb = self.line_break.unwrap_or("\n");
        let yaml = to_yaml_string(&Value::Map(self.metadata()), lb);
        format!("---{lb}{}{lb}---{lb}{}", yaml.trim(), self.text)
    }

    /// The metadata as [`Card::content`] writes it (keys in the card's order), as Python's
    /// `card.data.to_dict()` after the card was written.
    pub fn metadata(&self) -> Mapping {
        self.data.to_dict_ordered(&self.original_order)
    }

    /// Replaces the whole card by parsing `content` (Python's `card.content = ...`).
    pub fn set_content(&mut self, content: &str) -> Result<()> {
        *self = Self::parse(content)?;
        Ok(())
    }

    /// Writes [`Card::content`] to `path`, creating parent directories; line endings are
    /// written as they are.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            action: "writing",
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(path, self.content()).map_err(io)
    }

    /// The repository type of this kind of card (`model`, `dataset`, `space`).
    pub fn repo_type(&self) -> hub_core::RepoType {
        D::REPO_TYPE
    }
}

impl<D: CardDataKind> fmt::Display for Card<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.content())
    }
}

impl<D: CardDataKind> std::str::FromStr for Card<D> {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_rewrite() {
        let card = RepoCard::parse("---\nlanguage: en\nlicense: mit\n---\n\n# My repo\n").unwrap();
        assert_eq!(card.text, "\n# My repo\n");
        assert_eq!(card.data.extra.get("license"), Some(&Value::from("mit")));
        assert_eq!(
            card.content(),
            "---\nlanguage: en\nlicense: mit\n---\n\n# My repo\n"
        );
    }

    #[test]
    fn crlf_is_kept() {
        let text = "---\r\ntags:\r\n- a\r\n---\r\nbody\r\n";
        let card = ModelCard::parse(text).unwrap();
        assert_eq!(card.content(), text);
    }

    #[test]
    fn no_front_matter_gets_an_empty_mapping() {
        let card = ModelCard::parse("# Title\n").unwrap();
        assert_eq!(card.text, "# Title\n");
        assert_eq!(card.content(), "---\n{}\n---\n# Title\n");
    }

    #[test]
    fn errors_name_the_line_of_the_file() {
        let e = ModelCard::parse("---\nlicense: mit\ntags: [a, b\n---\nx").unwrap_err();
        assert!(matches!(e, Error::Yaml { .. }), "{e}");
        assert!(e.line().unwrap() >= 3, "{e}");
        let e = ModelCard::parse("---\n- a\n- b\n---\n").unwrap_err();
        assert!(
            matches!(
                e,
                Error::NotAMapping {
                    line: 2,
                    found: "list"
                }
            ),
            "{e}"
        );
        let e = ModelCard::parse("---\nlicense: mit\nmodel-index:\n- name: x\n---\n").unwrap_err();
        assert!(matches!(e, Error::ModelIndex { line: Some(3), .. }), "{e}");
        let ok = ModelCard::parse_with("---\nlicense: mit\nmodel-index:\n- name: x\n---\n", true)
            .unwrap();
        assert_eq!(ok.content(), "---\nlicense: mit\n---\n");
    }
}
