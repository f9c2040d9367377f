//! Charts drawn on the server as SVG: no script needed, a title and a description for screen
//! readers, and always shown beside a table of the same numbers. Bars run left to right, one
//! row each, so that long Chinese labels stay readable on a phone.

/// One bar: its label, its value and (when set) the target it is measured against.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub target: Option<f64>,
    /// The value as the table shows it.
    pub text: String,
    pub behind: bool,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal bars with their targets marked; `id` names the title and description. Each row
/// is its label and value on a line, the bar under it across the whole width: nothing is cut
/// off or overlaps when a phone scales the drawing down.
pub fn bars(id: &str, title: &str, bars: &[Bar]) -> String {
    const ROW: f64 = 46.0;
    const WIDTH: f64 = 470.0;
    let max = bars
        .iter()
        .flat_map(|b| [b.value, b.target.unwrap_or(0.0)])
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let height = ROW * bars.len().max(1) as f64 + 4.0;
    let desc: Vec<String> = bars
        .iter()
        .map(|b| {
            let t = b
                .target
                .map_or_else(String::new, |t| format!("，目标{}", trim(t)));
            format!(
                "{}：{}{t}{}",
                b.label,
                b.text,
                if b.behind { "，落后" } else { "" }
            )
        })
        .collect();
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 480 {height}\" role=\"img\" \
         aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(&desc.join("；"))
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i as f64 * ROW + 2.0;
        let w = (b.value / max * WIDTH).max(0.0);
        let class = if b.behind { "bar behind" } else { "bar" };
        let label: String = b.label.chars().take(16).collect();
        let bar_y = y + 22.0;
        s.push_str(&format!(
            "<text x=\"0\" y=\"{:.0}\" class=\"label\">{}　{}</text>\
             <rect x=\"0\" y=\"{bar_y:.0}\" width=\"{WIDTH}\" height=\"16\" class=\"track\"/>\
             <rect x=\"0\" y=\"{bar_y:.0}\" width=\"{w:.1}\" height=\"16\" class=\"{class}\"/>",
            y + 15.0,
            esc(&label),
            esc(&b.text),
        ));
        if let Some(t) = b.target {
            let x = (t / max * WIDTH).clamp(1.0, WIDTH + 8.0);
            s.push_str(&format!(
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.0}\" y2=\"{:.0}\" class=\"target\"/>",
                y + 19.0,
                y + 41.0
            ));
        }
    }
    s.push_str("</svg>");
    s
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_names_every_bar_and_escapes_its_text() {
        let svg = bars(
            "c1",
            "各镇<任务>",
            &[
                Bar {
                    label: "梅园新村街道".into(),
                    value: 50.0,
                    target: Some(100.0),
                    text: "50人".into(),
                    behind: true,
                },
                Bar {
                    label: "玄武门街道".into(),
                    value: 80.0,
                    target: None,
                    text: "80人".into(),
                    behind: false,
                },
            ],
        );
        assert!(svg.contains("各镇&lt;任务&gt;"));
        assert!(svg.contains("梅园新村街道：50人，目标100，落后"));
        assert!(svg.contains("玄武门街道：80人"));
        assert_eq!(svg.matches("class=\"bar").count(), 2);
        assert_eq!(svg.matches("class=\"target\"").count(), 1);
        assert!(svg.contains("bar behind"));
    }
}
