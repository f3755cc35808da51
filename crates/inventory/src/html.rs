//! The self-contained HTML report of `--html FILE`: summary, an expiry timeline (inline SVG,
//! weekly buckets coloured by status, "now" and the warning window marked) and one table row per
//! certificate, soonest expiry first. No scripts, fonts or images from the network.

use crate::render::{all_findings, status_str, summary};
use crate::scan::Inventory;
use certgate_core::analyse::inventory::ExpiryStatus;
use std::fmt::Write;
use time::{Duration, OffsetDateTime};

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const COLOUR_EXPIRED: &str = "#d62728";
const COLOUR_EXPIRING: &str = "#ff9f1c";
const COLOUR_OK: &str = "#2ca02c";

/// Timeline window: 12 weeks back, 60 weeks ahead; certificates outside are counted in the edge
/// buckets (the labels say so).
const WEEKS_BACK: i64 = 12;
const WEEKS_AHEAD: i64 = 60;

/// The expiry timeline as an inline SVG: one stacked bar per week of notAfter dates.
pub fn timeline_svg(inv: &Inventory) -> String {
    let now = inv.generated_at;
    let start = now - Duration::weeks(WEEKS_BACK);
    let n = (WEEKS_BACK + WEEKS_AHEAD) as usize;
    // per bucket: [expired, expiring, ok]
    let mut buckets = vec![[0usize; 3]; n];
    for c in &inv.certs {
        let w = (c.cert.facts.not_after - start).whole_weeks();
        let i = w.clamp(0, n as i64 - 1) as usize;
        let s = match c.status {
            ExpiryStatus::Expired => 0,
            ExpiryStatus::Expiring => 1,
            _ => 2,
        };
        buckets[i][s] += 1;
    }
    let tallest = buckets
        .iter()
        .map(|b| b.iter().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    // y axis: up to 4 whole-number steps
    let steps = tallest.min(4);
    let max = tallest.div_ceil(steps) * steps;
    let (w, h, left, bottom, top) = (960.0_f64, 260.0_f64, 40.0_f64, 36.0_f64, 16.0_f64);
    let plot_w = w - left - 10.0;
    let plot_h = h - bottom - top;
    let bw = plot_w / n as f64;
    let x_of = |t: OffsetDateTime| left + (t - start).as_seconds_f64() / (7.0 * 86400.0) * bw;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="Certificate expiry timeline">"##
    );
    // warning window band
    let warn_end = now + Duration::days(i64::from(inv.warn_days));
    let _ = write!(
        s,
        r##"<rect class="warn-window" x="{:.1}" y="{top}" width="{:.1}" height="{plot_h}" fill="{COLOUR_EXPIRING}" fill-opacity="0.12"><title>warning window: {} days</title></rect>"##,
        x_of(now),
        (x_of(warn_end) - x_of(now)).max(1.0),
        inv.warn_days
    );
    // y axis ticks
    for k in 0..=steps {
        let v = max / steps * k;
        let y = top + plot_h - plot_h * k as f64 / steps as f64;
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#555">{}</text>"##,
            left + plot_w,
            left - 4.0,
            y + 3.0,
            v
        );
    }
    for (i, b) in buckets.iter().enumerate() {
        let total: usize = b.iter().sum();
        if total == 0 {
            continue;
        }
        let from = start + Duration::weeks(i as i64);
        let to = from + Duration::weeks(1);
        let mut y = top + plot_h;
        for (k, colour, label) in [
            (0, COLOUR_EXPIRED, "expired"),
            (1, COLOUR_EXPIRING, "expiring"),
            (2, COLOUR_OK, "ok"),
        ] {
            if b[k] == 0 {
                continue;
            }
            let bh = plot_h * b[k] as f64 / max as f64;
            y -= bh;
            let edge = if i == 0 {
                " (and earlier)"
            } else if i == n - 1 {
                " (and later)"
            } else {
                ""
            };
            let _ = write!(
                s,
                r##"<rect class="bar {label}" x="{:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="{colour}"><title>{} – {}{edge}: {} {label}</title></rect>"##,
                left + i as f64 * bw + 1.0,
                (bw - 2.0).max(1.0),
                from.date(),
                to.date(),
                b[k]
            );
        }
    }
    // month ticks
    let mut t = start;
    let mut last_month = None;
    while t < start + Duration::weeks(n as i64) {
        let m = (t.year(), t.month());
        if last_month != Some(m) {
            last_month = Some(m);
            let x = x_of(t);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="#999"/><text x="{x:.1}" y="{:.1}" font-size="10" fill="#555">{} {}</text>"##,
                top + plot_h,
                top + plot_h + 4.0,
                top + plot_h + 16.0,
                &format!("{:?}", t.month())[..3],
                t.year() % 100
            );
        }
        t += Duration::days(1);
    }
    let xn = x_of(now);
    let _ = write!(
        s,
        r##"<line id="now" x1="{xn:.1}" x2="{xn:.1}" y1="{top}" y2="{:.1}" stroke="#000" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.1}" font-size="11">now</text>"##,
        top + plot_h,
        xn + 3.0,
        top + 10.0
    );
    let _ = write!(
        s,
        r##"<line x1="{left}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#333"/></svg>"##,
        left + plot_w,
        top + plot_h,
        top + plot_h
    );
    s
}

/// The whole report page.
pub fn report(inv: &Inventory) -> String {
    let sum = summary(inv);
    let all = all_findings(inv);
    let v = certgate_core::finding::verdict(&all);
    let generated = certgate_core::x509::rfc3339(inv.generated_at);
    let mut rows = String::new();
    for c in &inv.certs {
        let f = &c.cert.facts;
        let findings: Vec<String> = c
            .findings
            .iter()
            .map(|x| {
                format!(
                    r#"<li><code>{}</code> {}<br><span class="fix">{}</span></li>"#,
                    esc(x.code.as_str()),
                    esc(&x.detail),
                    esc(x.code.fix())
                )
            })
            .collect();
        let places: Vec<String> = c
            .locations
            .iter()
            .map(|l| {
                format!(
                    "<li>{} <small>{}</small></li>",
                    esc(&l.to_string()),
                    l.format.as_str()
                )
            })
            .collect();
        let key = match c.keys.first() {
            None => "not found".to_string(),
            Some(_) => c
                .keys
                .iter()
                .map(|&k| {
                    let k = &inv.keys[k];
                    format!(
                        "{}{} {}",
                        esc(&k.path),
                        k.mode
                            .as_deref()
                            .map(|m| format!(" ({m})"))
                            .unwrap_or_default(),
                        if k.too_open {
                            r#"<b class="bad">too open</b>"#
                        } else {
                            ""
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>"),
        };
        let _ = write!(
            rows,
            r#"<tr class="cert {status}" data-days="{days}"><td class="days">{days}</td><td>{na}</td><td><b>{name}</b><br><small>{subject}</small></td><td>{sans}</td><td>{issuer}</td><td><code>{serial}</code></td><td>{keyinfo}</td><td>{key}</td><td><ul>{places}</ul></td><td><ul>{findings}</ul></td></tr>"#,
            status = status_str(c.status),
            days = c.days_left,
            na = esc(&certgate_core::x509::rfc3339(f.not_after)),
            name = esc(&c.cert.display_name()),
            subject = esc(&f.subject),
            sans = esc(&c.cert.sans().join(", ")),
            issuer = esc(&f.issuer),
            serial = esc(&f.serial_hex),
            keyinfo = esc(&f.key.to_string()),
            places = places.join(""),
            findings = findings.join(""),
        );
    }
    let mut endpoints = String::new();
    for e in &inv.endpoints {
        let codes: Vec<String> = e
            .findings
            .iter()
            .map(|f| format!("<code>{}</code> {}", esc(f.code.as_str()), esc(&f.detail)))
            .collect();
        let _ = write!(
            endpoints,
            r#"<tr class="endpoint {}"><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            if e.chain.is_empty() { "down" } else { "up" },
            esc(&e.endpoint.to_string()),
            e.chain.len(),
            if codes.is_empty() {
                "ok".to_string()
            } else {
                codes.join("<br>")
            }
        );
    }
    let endpoints_section = if inv.endpoints.is_empty() {
        String::new()
    } else {
        format!(
            r#"<h2>Endpoints</h2><table id="endpoints"><thead><tr><th>endpoint</th><th>certificates sent</th><th>findings</th></tr></thead><tbody>{endpoints}</tbody></table>"#
        )
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>certgate inventory — {generated}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222}}
h1{{font-size:20px}} h2{{font-size:16px;margin-top:28px}}
.summary span{{display:inline-block;margin-right:18px;padding:6px 10px;border-radius:4px;background:#f3f3f3}}
.summary .expired{{border:2px solid {COLOUR_EXPIRED};color:{COLOUR_EXPIRED}}} .summary .expiring{{border:2px solid {COLOUR_EXPIRING}}}
.summary .ok{{border:2px solid {COLOUR_OK};color:{COLOUR_OK}}}
table{{border-collapse:collapse;width:100%;font-size:12px}} th,td{{border-bottom:1px solid #e5e5e5;padding:4px 6px;text-align:left;vertical-align:top}}
th{{background:#fafafa;position:sticky;top:0}} ul{{margin:0;padding-left:14px}} td.days{{text-align:right;font-weight:bold}}
tr.expired td.days{{color:{COLOUR_EXPIRED}}} tr.expiring td.days{{color:{COLOUR_EXPIRING}}} tr.ok td.days{{color:{COLOUR_OK}}}
.fix{{color:#666}} .bad{{color:{COLOUR_EXPIRED}}} code{{font-size:11px}} tr.endpoint.down td{{color:{COLOUR_EXPIRED}}}
.legend i{{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}}
</style></head>
<body>
<h1>certgate inventory</h1>
<p>Scanned {files} files and {eps} endpoints at {generated}; warning window {warn} days. Verdict: <code>{verdict}</code> — {title}.</p>
<p class="summary"><span class="expired">{expired} expired</span><span class="expiring">{expiring} expiring</span><span class="ok">{ok} ok</span><span>{total} certificates</span><span>{keys} private keys</span></p>
<h2>Expiry timeline</h2>
<p class="legend">certificates per week of expiry:<i style="background:{COLOUR_EXPIRED}"></i>expired<i style="background:{COLOUR_EXPIRING}"></i>within {warn} days<i style="background:{COLOUR_OK}"></i>later</p>
{svg}
<h2>Certificates</h2>
<table id="certificates"><thead><tr><th>days left</th><th>not after</th><th>subject</th><th>SANs</th><th>issuer</th><th>serial</th><th>key</th><th>private key</th><th>found in</th><th>findings</th></tr></thead>
<tbody>{rows}</tbody></table>
{endpoints_section}
</body></html>
"#,
        files = inv.files_scanned,
        eps = inv.endpoints.len(),
        warn = inv.warn_days,
        verdict = esc(v.as_str()),
        title = esc(v.title()),
        expired = sum["expired"],
        expiring = sum["expiring"],
        ok = sum["ok"],
        total = sum["certificates"],
        keys = sum["private_keys"],
        svg = timeline_svg(inv),
    )
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn markup_in_certificate_names_is_escaped() {
        assert_eq!(
            esc(r#"CN=<script>"x"&'y'"#),
            "CN=&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;"
        );
    }
}
