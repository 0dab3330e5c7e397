//! Settings as a person types them. Each settings type lists its fields once ([`Field`]): the
//! page builds its inputs and its link from that list, the CLI its flags, and [`parse`] checks
//! the typed text against it with one message per refused field. Shared by the GAN's and
//! style transfer's settings ([`crate::settings`]).

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// A refused setting: which field and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError { field, message: message.into() }
    }
}

/// The errors as one line: `field: message; field: message`.
pub fn errors_line(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

/// What a field holds and which values it takes (bounds included).
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Int { min: u64, max: u64 },
    Float { min: f64, max: f64 },
    /// A float the page shows as a slider moving in `step`s (any value in range is accepted).
    Slider { min: f64, max: f64, step: f64 },
    /// One of `(value, label)`.
    Choice(fn() -> Vec<(&'static str, &'static str)>),
    Bool,
}

/// One setting, as the page, the link and the CLI show it.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The settings struct's (serde) name; also the page's input id and the link's key.
    pub name: &'static str,
    /// The CLI's flag, without the dashes.
    pub flag: &'static str,
    pub label: &'static str,
    /// One sentence: the CLI's help and the page's tooltip.
    pub help: &'static str,
    pub kind: Kind,
    /// Said beside the field when the typed value is refused.
    pub message: &'static str,
    /// Where the page shows it (a container `#fields-<group>`).
    pub group: &'static str,
}

/// A settings type whose fields a person types: serde for the checkpoint and the page,
/// [`Settings::FIELDS`] for the inputs, flags and checks.
pub trait Settings: Serialize + DeserializeOwned + Default {
    const FIELDS: &'static [Field];

    /// What each field's range cannot say (a bound that is not included, two fields
    /// together); run once every field is in range.
    fn check(&self) -> Vec<FieldError> {
        Vec::new()
    }
}

/// The text of each field as typed, by field name. A missing field takes its default.
pub type Form = BTreeMap<String, String>;

/// Checks one field's text; the value as JSON, or the field's message.
pub fn check(field: &Field, text: &str) -> Result<Value, String> {
    let text = text.trim();
    let value = match field.kind {
        Kind::Int { min, max } => text.parse::<u64>().ok().filter(|v| (min..=max).contains(v)).map(Value::from),
        Kind::Float { min, max } | Kind::Slider { min, max, .. } => text
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && (min..=max).contains(v))
            .map(Value::from),
        Kind::Choice(choices) => choices().into_iter().find(|(v, _)| *v == text).map(|(v, _)| Value::from(v)),
        Kind::Bool => match text {
            "true" | "1" | "on" => Some(Value::Bool(true)),
            "false" | "0" | "off" | "" => Some(Value::Bool(false)),
            _ => None,
        },
    };
    value.ok_or_else(|| field.message.to_string())
}

/// Parses a form: every field it holds is checked, the others keep their defaults.
pub fn parse<S: Settings>(form: &Form) -> Result<S, Vec<FieldError>> {
    let Value::Object(mut values) = serde_json::to_value(S::default()).expect("settings serialise") else {
        unreachable!("settings are structs")
    };
    let mut errors = Vec::new();
    for field in S::FIELDS {
        if let Some(text) = form.get(field.name) {
            match check(field, text) {
                Ok(v) => {
                    values.insert(field.name.to_string(), v);
                }
                Err(message) => errors.push(FieldError::new(field.name, message)),
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let settings: S = serde_json::from_value(Value::Object(values)).expect("checked fields deserialise");
    let errors = settings.check();
    if errors.is_empty() { Ok(settings) } else { Err(errors) }
}

/// A JSON value as a person would type it: strings as they are, numbers in Rust's shortest
/// form (1 and 0.0002, not 1.0), booleans as true/false.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_f64() => n.as_f64().expect("a float").to_string(),
        v => v.to_string(),
    }
}

/// The settings as the text of each field (what the page puts in its inputs).
pub fn to_form<S: Settings>(settings: &S) -> Form {
    let values = serde_json::to_value(settings).expect("settings serialise");
    S::FIELDS
        .iter()
        .map(|f| {
            (f.name.to_string(), text(&values[f.name]))
        })
        .collect()
}

/// The field list for the page: name, label, help, kind, bounds or choices, group, default text,
/// and whether it may change while a run goes on (`live`).
pub fn describe<S: Settings>(live: bool) -> Vec<Value> {
    let defaults = to_form(&S::default());
    S::FIELDS
        .iter()
        .map(|f| {
            let mut o = Map::new();
            o.insert("name".into(), f.name.into());
            o.insert("label".into(), f.label.into());
            o.insert("help".into(), f.help.into());
            o.insert("group".into(), f.group.into());
            o.insert("live".into(), live.into());
            o.insert("default".into(), defaults[f.name].clone().into());
            let kind = match f.kind {
                Kind::Int { min, max } => json!({ "kind": "int", "min": min, "max": max }),
                Kind::Float { min, max } => json!({ "kind": "float", "min": min, "max": max }),
                Kind::Slider { min, max, step } => json!({ "kind": "slider", "min": min, "max": max, "step": step }),
                Kind::Choice(choices) => json!({ "kind": "choice", "choices": choices() }),
                Kind::Bool => json!({ "kind": "bool" }),
            };
            o.extend(kind.as_object().expect("an object").clone());
            Value::Object(o)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Demo {
        n: usize,
        x: f64,
        pick: String,
        on: bool,
    }

    impl Default for Demo {
        fn default() -> Self {
            Demo { n: 3, x: 0.5, pick: "a".into(), on: false }
        }
    }

    impl Settings for Demo {
        const FIELDS: &'static [Field] = &[
            Field { name: "n", flag: "n", label: "N", help: "", kind: Kind::Int { min: 1, max: 5 }, message: "n: 1 to 5", group: "g" },
            Field { name: "x", flag: "x", label: "X", help: "", kind: Kind::Float { min: 0.0, max: 1.0 }, message: "x: 0 to 1", group: "g" },
            Field { name: "pick", flag: "pick", label: "P", help: "", kind: Kind::Choice(|| vec![("a", "A"), ("b", "B")]), message: "a or b", group: "g" },
            Field { name: "on", flag: "on", label: "On", help: "", kind: Kind::Bool, message: "true or false", group: "g" },
        ];
    }

    fn form(pairs: &[(&str, &str)]) -> Form {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn parses_checks_and_round_trips() {
        assert_eq!(parse::<Demo>(&Form::new()).unwrap(), Demo::default());
        let d: Demo = parse(&form(&[("n", " 5 "), ("x", "1e-1"), ("pick", "b"), ("on", "true")])).unwrap();
        assert_eq!(d, Demo { n: 5, x: 0.1, pick: "b".into(), on: true });
        assert_eq!(parse::<Demo>(&to_form(&d)).unwrap(), d);
        let errs = parse::<Demo>(&form(&[("n", "6"), ("x", "NaN"), ("pick", "c"), ("on", "yes"), ("other", "1")])).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| (e.field, e.message.as_str())).collect();
        assert_eq!(fields, [("n", "n: 1 to 5"), ("x", "x: 0 to 1"), ("pick", "a or b"), ("on", "true or false")]);
        assert_eq!(errors_line(&errs[..2]), "n: n: 1 to 5; x: x: 0 to 1");
    }

    #[test]
    fn describes_fields_with_defaults() {
        let d = describe::<Demo>(true);
        assert_eq!(d.len(), 4);
        assert_eq!(d[0]["default"], "3");
        assert_eq!(d[0]["max"], 5);
        assert_eq!(d[2]["choices"][1][0], "b");
        assert_eq!(d[3]["kind"], "bool");
        assert_eq!(d[3]["live"], true);
    }
}
