//! layout, json, csv: formats built from the plain layout specs of pseudolog/formats/spec.py.

use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyAny, PyDict};

use crate::csv::{ColumnRole, CsvLayout};
use crate::json::JsonLayout;
use crate::layout::{AutoDetect, Codec, ElementSpec, Format, Matcher, Pattern};

/// (pattern index, field spans).
type PatternMatch = (usize, Vec<(usize, usize)>);

fn item<'py, T: FromPyObject<'py>>(d: &Bound<'py, PyAny>, key: &str) -> PyResult<T> {
    d.get_item(key)?.extract()
}

fn pattern(spec: &Bound<'_, PyAny>) -> PyResult<Pattern> {
    let mut elements: Vec<ElementSpec> = Vec::new();
    for e in spec.get_item("elements")?.try_iter()? {
        let e = e?;
        elements.push((
            e.get_item(0)?.extract()?,
            e.get_item(1)?.extract()?,
            e.get_item(2)?.extract()?,
            e.get_item(3)?.extract()?,
            e.get_item(4)?.extract()?,
        ));
    }
    let mut fields = Vec::new();
    for f in spec.get_item("fields")?.try_iter()? {
        let f = f?;
        fields.push((
            f.get_item(0)?.extract()?,
            f.get_item(1)?.extract()?,
            f.get_item(2)?.extract()?,
            f.get_item(3)?.extract()?,
            f.get_item(4)?.extract()?,
        ));
    }
    let time_index: i64 = item(spec, "time_index")?;
    Pattern::from_spec(&elements, &fields, time_index).map_err(|e| PyValueError::new_err(e.0))
}

pub(super) fn format(spec: &Bound<'_, PyDict>) -> PyResult<Format> {
    let spec = spec.as_any();
    let name: String = item(spec, "name")?;
    let codec: String = item(spec, "codec")?;
    let codec = match codec.as_str() {
        "pattern" => {
            let mut patterns = Vec::new();
            for p in spec.get_item("patterns")?.try_iter()? {
                patterns.push(pattern(&p?)?);
            }
            Codec::Patterns(patterns)
        }
        "csv" => {
            let names: Vec<String> = item(spec, "roles")?;
            let roles = names
                .iter()
                .map(|r| {
                    ColumnRole::from_name(r)
                        .ok_or_else(|| PyValueError::new_err("csv spec: unknown role"))
                })
                .collect::<PyResult<Vec<_>>>()?;
            Codec::Csv(
                CsvLayout::new(roles, item(spec, "min_columns")?).map_err(PyValueError::new_err)?,
            )
        }
        "json" => {
            let mut rules = Vec::new();
            for r in spec.get_item("rules")?.try_iter()? {
                let r = r?;
                rules.push((r.get_item(0)?.extract()?, r.get_item(1)?.extract()?));
            }
            Codec::Json(JsonLayout::new(&rules).map_err(PyValueError::new_err)?)
        }
        other => {
            return Err(PyValueError::new_err(format!(
                "layout spec: unknown codec {other:?}"
            )))
        }
    };
    let unbracketed_ports = match spec.get_item("unbracketed_ports") {
        Ok(v) => v.extract()?,
        Err(_) => false,
    };
    Ok(Format {
        name,
        codec,
        unbracketed_ports,
    })
}

/// Formats built from layout specs (the order `auto` tries them in). For the differential tests and
/// measurements; the engine holds the same formats internally.
#[pyclass(module = "pseudolog._core", frozen)]
pub struct Layouts {
    formats: Vec<Format>,
}

impl Layouts {
    fn get(&self, index: usize) -> PyResult<&Format> {
        self.formats
            .get(index)
            .ok_or_else(|| PyIndexError::new_err("no such format"))
    }
}

#[pymethods]
impl Layouts {
    #[new]
    fn new(specs: Vec<Bound<'_, PyDict>>) -> PyResult<Self> {
        Ok(Layouts {
            formats: specs.iter().map(format).collect::<PyResult<_>>()?,
        })
    }

    fn names(&self) -> Vec<String> {
        self.formats.iter().map(|f| f.name.clone()).collect()
    }

    /// (pattern index, field spans) of the first pattern of format `index` that fits, or None.
    fn match_line(&self, index: usize, line: &[u8]) -> PyResult<Option<PatternMatch>> {
        Ok(self.get(index)?.match_line(line, &mut Matcher::default()))
    }

    /// Whether format `index` reads the line (its Python `parse` is not None).
    fn fits(&self, index: usize, line: &[u8]) -> PyResult<bool> {
        Ok(self.get(index)?.fits(line, &mut Matcher::default()))
    }

    /// (start, end, hint) of every value to scan, or None when the line does not fit.
    fn values(&self, index: usize, line: &[u8]) -> PyResult<Option<Vec<(usize, usize, String)>>> {
        let values = self.get(index)?.values(line, &mut Matcher::default());
        Ok(values.map(|v| v.iter().map(|v| (v.start, v.end, v.hint.label())).collect()))
    }

    /// A JSON format's event time candidates: (start, end, is a number), in the order they are tried.
    fn json_times(&self, index: usize, line: &[u8]) -> PyResult<Option<Vec<(usize, usize, bool)>>> {
        let Codec::Json(json) = &self.get(index)?.codec else {
            return Err(PyValueError::new_err("not a JSON format"));
        };
        Ok(json
            .read(line)
            .map(|(_, times)| times.iter().map(|t| (t.start, t.end, t.number)).collect()))
    }

    /// `auto` over these lines: (the format settled on or None, whether it settled).
    fn detect(&self, py: Python<'_>, lines: Vec<Vec<u8>>) -> (Option<String>, bool) {
        py.allow_threads(|| {
            let mut auto = AutoDetect::new();
            let mut m = Matcher::default();
            for line in &lines {
                if auto.locked() {
                    break;
                }
                auto.observe(&self.formats, line, &mut m);
            }
            (
                auto.chosen().map(|i| self.formats[i].name.clone()),
                auto.locked(),
            )
        })
    }

    /// How many of `data`'s newline-separated lines format `index` fits (for measuring, GIL released).
    fn count_fits(&self, py: Python<'_>, index: usize, data: &[u8]) -> PyResult<usize> {
        let format = self.get(index)?;
        Ok(py.allow_threads(|| {
            let mut m = Matcher::default();
            let mut start = 0;
            let mut fits = 0;
            for end in memchr::memchr_iter(b'\n', data).chain(std::iter::once(data.len())) {
                fits += usize::from(format.fits(&data[start..end], &mut m));
                start = end + 1;
            }
            fits
        }))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Layouts>()
}
