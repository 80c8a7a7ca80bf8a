//! Illustrations drawn by code: small SVG scenes (skylines, a harbour, a chamber, a chart, ...)
//! built from simple shapes and gradients, deterministic from a seed. Photos are 1200×800,
//! portraits 600×600; every picture stays well under 10 KB.

use std::fmt::Write as _;

use super::rng::Rng;

/// What a picture shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scene {
    Harbour,
    Skyline,
    Parliament,
    Hills,
    Chart,
    RiverPort,
    Stadium,
    Observatory,
    WindFarm,
    Storm,
    Theatre,
    Bridge,
    Seagrass,
    Portrait,
}

impl Scene {
    pub const ALL: [Scene; 14] = [
        Scene::Harbour,
        Scene::Skyline,
        Scene::Parliament,
        Scene::Hills,
        Scene::Chart,
        Scene::RiverPort,
        Scene::Stadium,
        Scene::Observatory,
        Scene::WindFarm,
        Scene::Storm,
        Scene::Theatre,
        Scene::Bridge,
        Scene::Seagrass,
        Scene::Portrait,
    ];

    /// Width and height in pixels.
    pub fn size(self) -> (u32, u32) {
        match self {
            Scene::Portrait => (600, 600),
            _ => (1200, 800),
        }
    }
}

/// The light a scene is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Light {
    Dawn,
    #[default]
    Day,
    Dusk,
    Night,
}

impl Light {
    pub const ALL: [Light; 4] = [Light::Dawn, Light::Day, Light::Dusk, Light::Night];

    /// Sky top, sky horizon, sun or moon, water.
    fn palette(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Light::Dawn => ("#5b6fa8", "#f6c39a", "#ffe3b0", "#6f87b0"),
            Light::Day => ("#4f9fdc", "#cfe8f7", "#fff6cc", "#3f7fae"),
            Light::Dusk => ("#2d2a5a", "#f08a5d", "#ffd27a", "#3b3f6e"),
            Light::Night => ("#0b1430", "#2a3a6a", "#f2f0e0", "#101c3c"),
        }
    }

    fn is_dark(self) -> bool {
        matches!(self, Light::Dusk | Light::Night)
    }
}

/// Draws `scene` in `light`; the same arguments always give the same bytes.
pub fn draw(scene: Scene, light: Light, seed: u64) -> String {
    let mut c = Canvas::new(scene.size(), seed);
    match scene {
        Scene::Harbour => harbour(&mut c, light),
        Scene::Skyline => skyline(&mut c, light),
        Scene::Parliament => parliament(&mut c, light),
        Scene::Hills => hills(&mut c, light),
        Scene::Chart => chart(&mut c),
        Scene::RiverPort => river_port(&mut c, light),
        Scene::Stadium => stadium(&mut c, light),
        Scene::Observatory => observatory(&mut c),
        Scene::WindFarm => wind_farm(&mut c, light),
        Scene::Storm => storm(&mut c),
        Scene::Theatre => theatre(&mut c),
        Scene::Bridge => bridge(&mut c, light),
        Scene::Seagrass => seagrass(&mut c),
        Scene::Portrait => portrait(&mut c),
    }
    c.finish()
}

struct Canvas {
    w: i64,
    h: i64,
    defs: String,
    body: String,
    rng: Rng,
}

impl Canvas {
    fn new((w, h): (u32, u32), seed: u64) -> Self {
        Canvas {
            w: i64::from(w),
            h: i64::from(h),
            defs: String::new(),
            body: String::new(),
            rng: Rng::new(seed),
        }
    }

    fn finish(self) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
             <defs>{defs}</defs>{body}</svg>\n",
            w = self.w,
            h = self.h,
            defs = self.defs,
            body = self.body
        )
    }

    /// A vertical linear gradient usable as `url(#id)`.
    fn vgrad(&mut self, id: &str, top: &str, bottom: &str) {
        let _ = write!(
            self.defs,
            "<linearGradient id=\"{id}\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\"><stop offset=\"0\" stop-color=\"{top}\"/><stop offset=\"1\" stop-color=\"{bottom}\"/></linearGradient>"
        );
    }

    fn radial(&mut self, id: &str, inner: &str, outer: &str) {
        let _ = write!(
            self.defs,
            "<radialGradient id=\"{id}\"><stop offset=\"0\" stop-color=\"{inner}\"/><stop offset=\"1\" stop-color=\"{outer}\" stop-opacity=\"0\"/></radialGradient>"
        );
    }

    /// A grid of lit windows as a pattern, to fill buildings without thousands of rects.
    fn windows(&mut self, id: &str, lit: &str, cell: i64) {
        let (ww, wh) = (cell * 2 / 5, cell / 2);
        let _ = write!(
            self.defs,
            "<pattern id=\"{id}\" width=\"{cell}\" height=\"{cell}\" patternUnits=\"userSpaceOnUse\"><rect x=\"{x}\" y=\"{y}\" width=\"{ww}\" height=\"{wh}\" fill=\"{lit}\"/></pattern>",
            x = cell / 4,
            y = cell / 4
        );
    }

    fn rect(&mut self, x: i64, y: i64, w: i64, h: i64, fill: &str) {
        let _ = write!(
            self.body,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{fill}\"/>"
        );
    }

    fn rect_o(&mut self, x: i64, y: i64, w: i64, h: i64, fill: &str, opacity: f32) {
        let _ = write!(
            self.body,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{fill}\" opacity=\"{opacity}\"/>"
        );
    }

    fn circle(&mut self, cx: i64, cy: i64, r: i64, fill: &str) {
        let _ = write!(
            self.body,
            "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"{fill}\"/>"
        );
    }

    fn ellipse(&mut self, cx: i64, cy: i64, rx: i64, ry: i64, fill: &str, opacity: f32) {
        let _ = write!(
            self.body,
            "<ellipse cx=\"{cx}\" cy=\"{cy}\" rx=\"{rx}\" ry=\"{ry}\" fill=\"{fill}\" opacity=\"{opacity}\"/>"
        );
    }

    fn path(&mut self, d: &str, fill: &str) {
        let _ = write!(self.body, "<path d=\"{d}\" fill=\"{fill}\"/>");
    }

    fn path_o(&mut self, d: &str, fill: &str, opacity: f32) {
        let _ = write!(
            self.body,
            "<path d=\"{d}\" fill=\"{fill}\" opacity=\"{opacity}\"/>"
        );
    }

    fn stroke(&mut self, d: &str, color: &str, width: i64) {
        let _ = write!(
            self.body,
            "<path d=\"{d}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>"
        );
    }

    fn sky(&mut self, light: Light, horizon: i64) {
        let (top, bottom, sun, _) = light.palette();
        self.vgrad("sky", top, bottom);
        self.rect(0, 0, self.w, horizon, "url(#sky)");
        let sx = self.rng.range(self.w / 6, self.w * 5 / 6);
        let sy = match light {
            Light::Day => horizon / 4,
            Light::Night => horizon / 5,
            _ => horizon * 3 / 4,
        };
        self.radial("glow", sun, sun);
        self.circle(sx, sy, 140, "url(#glow)");
        self.circle(sx, sy, if light == Light::Night { 28 } else { 46 }, sun);
        if light == Light::Night {
            self.stars(40, horizon * 2 / 3);
        } else {
            for _ in 0..self.rng.range(2, 4) {
                let cx = self.rng.range(0, self.w);
                let cy = self.rng.range(60, horizon / 2);
                let rx = self.rng.range(90, 190);
                self.ellipse(cx, cy, rx, rx / 4, "#ffffff", 0.55);
                self.ellipse(cx + rx / 3, cy - rx / 8, rx / 2, rx / 5, "#ffffff", 0.5);
            }
        }
    }

    fn stars(&mut self, n: usize, max_y: i64) {
        let mut d = String::new();
        for _ in 0..n {
            let x = self.rng.range(0, self.w);
            let y = self.rng.range(0, max_y.max(1));
            let _ = write!(d, "M{x} {y}h2v2h-2z");
        }
        self.path(&d, "#fdfbe8");
    }

    fn water(&mut self, light: Light, top: i64) {
        let (_, horizon, _, water) = light.palette();
        self.vgrad("sea", horizon, water);
        self.rect(0, top, self.w, self.h - top, "url(#sea)");
        let mut d = String::new();
        for _ in 0..14 {
            let x = self.rng.range(0, self.w);
            let y = self.rng.range(top + 10, self.h - 10);
            let len = self.rng.range(40, 160);
            let _ = write!(d, "M{x} {y}h{len}");
        }
        self.stroke(&d, "#ffffff", 3);
        self.body.push_str("");
    }

    /// A ridge line across the canvas as a closed path down to `bottom`.
    fn ridge(&mut self, base: i64, amp: i64, bottom: i64, fill: &str) {
        let steps = 6;
        let step = self.w / steps;
        let mut d = format!("M0 {bottom}L0 {base}");
        let mut x = 0;
        for _ in 0..steps {
            let peak = base - self.rng.range(0, amp);
            let _ = write!(
                d,
                "Q{} {} {} {}",
                x + step / 2,
                peak - amp / 2,
                x + step,
                base - self.rng.range(0, amp / 2)
            );
            x += step;
        }
        let _ = write!(d, "L{} {bottom}Z", self.w);
        self.path(&d, fill);
    }
}

fn building_fill(light: Light) -> (&'static str, &'static str) {
    if light.is_dark() {
        ("#1d2340", "#ffd98a")
    } else {
        ("#5d6b80", "#dbe7f3")
    }
}

fn harbour(c: &mut Canvas, light: Light) {
    c.sky(light, 520);
    let (bf, _) = building_fill(light);
    c.ridge(470, 60, 520, "#6b7f95");
    c.water(light, 520);
    // Quay and container stacks.
    c.rect(0, 480, 560, 60, "#3d4654");
    let colours = [
        "#c0392b", "#2e86c1", "#d4ac0d", "#1e8449", "#ca6f1e", "#7d3c98",
    ];
    for col in 0..8 {
        let stack = c.rng.range(1, 4);
        for row in 0..stack {
            let fill = c.rng.pick(&colours);
            c.rect(30 + col * 62, 448 - row * 32, 58, 30, fill);
        }
    }
    // Cranes.
    for i in 0..2 {
        let x = 120 + i * 260;
        let d = format!(
            "M{x} 480V250M{} 250H{}M{x} 330L{} 250M{} 250V330",
            x - 60,
            x + 200,
            x + 60,
            x + 160
        );
        c.stroke(&d, "#e67e22", 12);
    }
    // A ship at anchor.
    let sx = c.rng.range(660, 820);
    c.path(
        &format!("M{sx} 560H{}L{} 610H{}Z", sx + 320, sx + 290, sx + 30),
        bf,
    );
    c.rect(sx + 210, 520, 70, 40, "#ecf0f1");
    c.rect(sx + 236, 500, 16, 22, "#c0392b");
}

fn skyline(c: &mut Canvas, light: Light) {
    c.sky(light, 600);
    let (bf, lit) = building_fill(light);
    c.windows("win", lit, 24);
    let mut x = -20;
    while x < c.w {
        let w = c.rng.range(60, 140);
        let h = c.rng.range(160, 430);
        c.rect(x, 600 - h, w, h, bf);
        c.rect_o(
            x,
            600 - h,
            w,
            h,
            "url(#win)",
            if light.is_dark() { 0.9 } else { 0.45 },
        );
        if c.rng.chance(20) {
            c.stroke(&format!("M{} {}v-50", x + w / 2, 600 - h), bf, 4);
        }
        x += w + c.rng.range(4, 18);
    }
    c.water(light, 600);
}

fn parliament(c: &mut Canvas, light: Light) {
    c.sky(light, 640);
    let stone = if light.is_dark() {
        "#8a8fa8"
    } else {
        "#e8dfcf"
    };
    let shade = if light.is_dark() {
        "#5d627a"
    } else {
        "#c9bda6"
    };
    c.rect(0, 640, c.w, 160, "#7a8a6a");
    // Dome and drum.
    c.rect(520, 250, 160, 90, stone);
    c.path("M500 260A100 100 0 0 1 700 260Z", shade);
    c.rect(594, 130, 12, 40, shade);
    // Main block with columns as a pattern.
    let _ = write!(
        c.defs,
        "<pattern id=\"col\" width=\"60\" height=\"10\" patternUnits=\"userSpaceOnUse\"><rect x=\"18\" width=\"24\" height=\"10\" fill=\"{shade}\"/></pattern>"
    );
    c.rect(260, 340, 680, 260, stone);
    c.rect(300, 400, 600, 180, "url(#col)");
    c.path("M240 340L600 250L960 340Z", stone);
    for i in 0..5 {
        c.rect(220 - i * 10, 600 + i * 10, 760 + i * 20, 10, shade);
    }
    // Flags.
    let flags = ["#1f618d", "#b03a2e", "#239b56"];
    for (i, f) in flags.iter().enumerate() {
        let x = 330 + i as i64 * 270;
        c.stroke(&format!("M{x} 340V230"), "#444444", 4);
        c.rect(x + 2, 230, 60, 36, f);
    }
    if light.is_dark() {
        c.radial("lamp", "#ffe9a8", "#ffe9a8");
        c.ellipse(600, 470, 420, 160, "url(#lamp)", 0.35);
    }
}

fn hills(c: &mut Canvas, light: Light) {
    c.sky(light, 560);
    c.ridge(420, 120, 800, "#7f9f86");
    c.ridge(520, 90, 800, "#5f8a5a");
    c.ridge(620, 70, 800, "#3f6e45");
    // Fields and a row of trees.
    let mut d = String::new();
    for i in 0..12 {
        let x = i * 100 + c.rng.range(0, 40);
        let y = c.rng.range(640, 720);
        let _ = write!(d, "M{x} {y}l18 -56l18 56z");
    }
    c.path(&d, "#2b5030");
    c.path("M0 760Q600 700 1200 770V800H0Z", "#c8b35a");
}

fn chart(c: &mut Canvas) {
    c.rect(0, 0, c.w, c.h, "#f7f5f0");
    let mut grid = String::new();
    for i in 0..6 {
        let y = 140 + i * 110;
        let _ = write!(grid, "M100 {y}H1120");
    }
    c.stroke(&grid, "#d9d4c7", 2);
    c.stroke("M100 690H1120M100 690V120", "#5a5a5a", 4);
    let n = 10;
    let bw = 1000 / n;
    let mut line = String::from("M");
    let mut level = c.rng.range(200, 350);
    for i in 0..n {
        level = (level + c.rng.range(-60, 90)).clamp(80, 540);
        let x = 120 + i * bw;
        let fill = if i == n - 1 { "#c0392b" } else { "#2e86c1" };
        c.rect(x, 690 - level, bw - 24, level, fill);
        let _ = write!(line, "{} {} ", x + (bw - 24) / 2, 690 - level - 40);
    }
    c.stroke(line.trim_end(), "#1b2631", 5);
}

fn river_port(c: &mut Canvas, light: Light) {
    c.sky(light, 430);
    c.ridge(400, 50, 480, "#7d8f7a");
    c.rect(0, 430, c.w, 110, "#8c7b62");
    // Warehouses with pitched roofs.
    for i in 0..5 {
        let x = 40 + i * 230;
        let h = c.rng.range(70, 110);
        let fill = c.rng.pick(&["#a04000", "#7b7d7d", "#935116", "#5d6d7e"]);
        c.rect(x, 470 - h, 200, h + 10, fill);
        c.path(
            &format!(
                "M{} {}L{} {}L{} {}Z",
                x - 10,
                470 - h,
                x + 100,
                430 - h,
                x + 210,
                470 - h
            ),
            "#4d5656",
        );
    }
    c.water(light, 540);
    // Barges loaded with grain.
    for i in 0..2 {
        let x = c.rng.range(80, 300) + i * 520;
        c.path(
            &format!("M{x} 620H{}L{} 670H{}Z", x + 420, x + 390, x + 30),
            "#273746",
        );
        c.path(
            &format!("M{} 620Q{} 570 {} 620Z", x + 40, x + 200, x + 380),
            "#d4ac0d",
        );
    }
    c.stroke("M1000 540V300H1150M1000 360L1080 300", "#e67e22", 10);
}

fn stadium(c: &mut Canvas, light: Light) {
    c.sky(light, 300);
    c.path("M0 300L200 160H1000L1200 300Z", "#34495e");
    let _ = write!(
        c.defs,
        "<pattern id=\"seat\" width=\"16\" height=\"12\" patternUnits=\"userSpaceOnUse\"><circle cx=\"8\" cy=\"6\" r=\"4\" fill=\"#aab7c4\"/></pattern>"
    );
    c.path("M0 300L200 160H1000L1200 300Z", "url(#seat)");
    let _ = write!(
        c.defs,
        "<pattern id=\"turf\" width=\"160\" height=\"10\" patternUnits=\"userSpaceOnUse\"><rect width=\"80\" height=\"10\" fill=\"#2f8f46\"/><rect x=\"80\" width=\"80\" height=\"10\" fill=\"#38a651\"/></pattern>"
    );
    c.rect(0, 300, c.w, 500, "url(#turf)");
    c.stroke("M600 300V800M80 300H1120", "#ffffff", 5);
    let _ = write!(
        c.body,
        "<ellipse cx=\"600\" cy=\"540\" rx=\"150\" ry=\"90\" fill=\"none\" stroke=\"#ffffff\" stroke-width=\"5\"/>"
    );
    for x in [90, 1110] {
        c.stroke(&format!("M{x} 300V60"), "#7f8c8d", 8);
        c.rect(x - 40, 40, 80, 34, "#fdfefe");
        if light.is_dark() {
            c.path_o(
                &format!("M{} 74L{} 520H{}Z", x - 30, x - 260, x + 260),
                "#fff8d0",
                0.18,
            );
        }
    }
    let bx = c.rng.range(300, 900);
    c.circle(bx, 620, 14, "#ffffff");
}

fn observatory(c: &mut Canvas) {
    c.vgrad("sky", "#050a1f", "#1f2f5c");
    c.rect(0, 0, c.w, c.h, "url(#sky)");
    c.stars(90, 560);
    // A comet with its tail.
    let cx = c.rng.range(700, 1000);
    c.path_o(
        &format!("M{cx} 160L{} 60L{} 110Z", cx - 420, cx - 400),
        "#bfe6ff",
        0.35,
    );
    c.circle(cx, 150, 12, "#f4fbff");
    c.ridge(600, 80, 800, "#101622");
    c.path("M520 560A90 90 0 0 1 700 560Z", "#d5d8dc");
    c.rect(520, 560, 180, 70, "#b3b6b7");
    c.rect(602, 470, 18, 90, "#1c2833");
}

fn wind_farm(c: &mut Canvas, light: Light) {
    c.sky(light, 600);
    c.ridge(560, 80, 800, "#6f9a6c");
    c.ridge(660, 60, 800, "#4f7f52");
    for i in 0..5 {
        let x = 120 + i * 230 + c.rng.range(-30, 30);
        let base = 600 + c.rng.range(-20, 40);
        let h = c.rng.range(260, 340);
        let top = base - h;
        let blade = h * 2 / 5;
        c.stroke(&format!("M{x} {base}L{x} {top}"), "#f4f6f7", 10);
        let angle = c.rng.range(0, 119) as f64;
        let mut d = String::new();
        for k in 0..3 {
            let a = (angle + f64::from(k) * 120.0).to_radians();
            let _ = write!(
                d,
                "M{x} {top}l{} {}",
                (a.cos() * blade as f64) as i64,
                (a.sin() * blade as f64) as i64
            );
        }
        c.stroke(&d, "#f4f6f7", 7);
        c.circle(x, top, 9, "#d5dbdb");
    }
}

fn storm(c: &mut Canvas) {
    c.vgrad("sky", "#2c3440", "#6b7683");
    c.rect(0, 0, c.w, 460, "url(#sky)");
    for _ in 0..6 {
        let cx = c.rng.range(0, c.w);
        let cy = c.rng.range(40, 260);
        let rx = c.rng.range(160, 300);
        c.ellipse(cx, cy, rx, rx / 3, "#3b4350", 0.8);
    }
    c.vgrad("sea", "#4a5f6e", "#1c2a33");
    c.rect(0, 460, c.w, 340, "url(#sea)");
    for row in 0..4 {
        let y = 480 + row * 80;
        let mut d = format!("M0 {y}");
        for i in 0..8 {
            let x = i * 150;
            let amp = c.rng.range(30, 70);
            let _ = write!(d, "Q{} {} {} {y}", x + 75, y - amp, x + 150);
        }
        c.stroke(&d, "#dfe8ec", 6);
    }
    // Sea wall with spray, and a lighthouse on it.
    c.path("M760 800L820 520H1200V800Z", "#545b62");
    c.ellipse(820, 500, 90, 60, "#f2f6f8", 0.7);
    c.path("M1020 520L1040 300H1080L1100 520Z", "#ecf0f1");
    c.rect(1036, 360, 68, 22, "#c0392b");
    c.rect(1040, 270, 40, 30, "#f7dc6f");
    c.path_o("M1060 285L660 220L660 350Z", "#f7dc6f", 0.25);
}

fn theatre(c: &mut Canvas) {
    c.rect(0, 0, c.w, c.h, "#1a0f14");
    c.rect(180, 120, 840, 420, "#3b2a22");
    c.vgrad("curtain", "#a5192a", "#5c0d18");
    c.path("M0 0H520Q420 300 300 560H0Z", "url(#curtain)");
    c.path("M1200 0H680Q780 300 900 560H1200Z", "url(#curtain)");
    c.rect(0, 0, c.w, 70, "#7b1320");
    c.rect(0, 540, c.w, 30, "#6e4b2a");
    for _ in 0..3 {
        let x = c.rng.range(380, 820);
        c.path_o(
            &format!("M{x} 0L{} 540H{}Z", x - 140, x + 140),
            "#fff1c1",
            0.16,
        );
    }
    let mut d = String::new();
    for row in 0..3 {
        for i in 0..16 {
            let x = 30 + i * 76 + (row % 2) * 38;
            let y = 680 + row * 50;
            let _ = write!(d, "M{} {y}a26 26 0 1 1 0 .1z", x);
        }
    }
    c.path(&d, "#0b0608");
}

fn bridge(c: &mut Canvas, light: Light) {
    c.sky(light, 520);
    c.ridge(500, 60, 560, "#6d7f6a");
    c.water(light, 520);
    let deck = 430;
    c.rect(0, deck, c.w, 22, "#4a4f57");
    let mut arches = String::new();
    for i in 0..4 {
        let x = 60 + i * 300;
        let _ = write!(
            arches,
            "M{x} {}Q{} {} {} {}",
            deck + 22,
            x + 150,
            deck + 150,
            x + 300,
            deck + 22
        );
    }
    c.stroke(&arches, "#4a4f57", 14);
    for i in 0..5 {
        let x = 60 + i * 300;
        c.rect(x - 14, deck, 28, 800 - deck, "#3a3e45");
    }
    // Scaffolding on one span: the contract at the heart of the story.
    let sx = 60 + c.rng.range(0, 3) * 300;
    let mut d = String::new();
    for k in 0..6 {
        let _ = write!(d, "M{} {}v-120", sx + 20 + k * 52, deck);
    }
    let _ = write!(
        d,
        "M{} {}h270M{} {}h270",
        sx + 20,
        deck - 40,
        sx + 20,
        deck - 90
    );
    c.stroke(&d, "#f39c12", 5);
}

fn seagrass(c: &mut Canvas) {
    c.vgrad("sea", "#2bb3c0", "#073b4c");
    c.rect(0, 0, c.w, c.h, "url(#sea)");
    for _ in 0..4 {
        let x = c.rng.range(100, 1100);
        c.path_o(
            &format!("M{x} 0L{} 800H{}Z", x - 120, x + 60),
            "#e0fbff",
            0.12,
        );
    }
    c.path("M0 700Q300 660 600 700T1200 690V800H0Z", "#c2a878");
    let mut d = String::new();
    for _ in 0..46 {
        let x = c.rng.range(0, c.w);
        let h = c.rng.range(90, 260);
        let sway = c.rng.range(-50, 50);
        let _ = write!(d, "M{x} 720q{} {} {} {}", sway, -h / 2, sway / 2, -h);
    }
    c.stroke(&d, "#2e8b57", 7);
    // The survey drone.
    let dx = c.rng.range(300, 800);
    c.rect(dx, 250, 150, 50, "#f4d03f");
    c.rect(dx + 150, 262, 26, 26, "#34495e");
    c.circle(dx + 30, 275, 10, "#1b2631");
    let mut fish = String::new();
    for _ in 0..7 {
        let x = c.rng.range(100, 1100);
        let y = c.rng.range(120, 560);
        let _ = write!(fish, "M{x} {y}q20 -12 40 0q-20 12 -40 0l-12 -8v16z");
    }
    c.path(&fish, "#f5b041");
}

fn portrait(c: &mut Canvas) {
    let backgrounds = [
        ("#d6eaf8", "#5dade2"),
        ("#fdebd0", "#eb984e"),
        ("#e8daef", "#a569bd"),
        ("#d5f5e3", "#52be80"),
    ];
    let skins = ["#f1c9a5", "#e0ac69", "#c68642", "#8d5524", "#ffdbac"];
    let hairs = [
        "#2c1b10", "#6b4423", "#b7950b", "#7f8c8d", "#1c1c1c", "#a04000",
    ];
    let shirts = ["#1f3a5f", "#7b241c", "#145a32", "#4a235a", "#424949"];
    let (top, bottom) = c.rng.pick(&backgrounds);
    let skin = c.rng.pick(&skins);
    let hair = c.rng.pick(&hairs);
    let shirt = c.rng.pick(&shirts);
    c.vgrad("bg", top, bottom);
    c.rect(0, 0, 600, 600, "url(#bg)");
    c.path("M90 600Q100 430 300 410Q500 430 510 600Z", shirt);
    c.path("M250 330H350V430Q300 460 250 430Z", skin);
    c.ellipse(300, 260, 105, 130, skin, 1.0);
    match c.rng.below(3) {
        0 => c.path("M190 250Q195 120 300 120Q405 120 410 250Q380 170 300 175Q220 170 190 250Z", hair),
        1 => c.path("M185 300Q170 120 300 115Q430 120 415 300Q420 420 395 460L400 260Q300 150 200 260L205 460Q180 420 185 300Z", hair),
        _ => c.path("M195 230Q210 140 300 135Q390 140 405 230Q350 190 300 195Q250 190 195 230Z", hair),
    }
    c.ellipse(260, 265, 9, 6, "#2c2c2c", 0.9);
    c.ellipse(340, 265, 9, 6, "#2c2c2c", 0.9);
    c.stroke("M270 330Q300 350 330 330", "#7b3f3f", 5);
    if c.rng.chance(35) {
        c.stroke("M228 265a32 26 0 1 0 64 0a32 26 0 1 0 -64 0M308 265a32 26 0 1 0 64 0a32 26 0 1 0 -64 0M292 262h16", "#2c2c2c", 4);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scene_in_every_light_is_small_wellformed_svg() {
        for scene in Scene::ALL {
            for light in Light::ALL {
                for seed in [0, 1, 42, u64::MAX] {
                    let svg = draw(scene, light, seed);
                    let (w, h) = scene.size();
                    assert!(
                        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
                        "{scene:?}"
                    );
                    assert!(
                        svg.contains(&format!("viewBox=\"0 0 {w} {h}\"")),
                        "{scene:?}"
                    );
                    assert!(svg.trim_end().ends_with("</svg>"), "{scene:?}");
                    assert!(
                        svg.len() < 10 * 1024,
                        "{scene:?} {light:?} is {} bytes",
                        svg.len()
                    );
                    assert!(!svg.contains("NaN") && !svg.contains("<text"), "{scene:?}");
                    // Tags balance: every element we open is self-closed or closed.
                    let opens = svg.matches('<').count();
                    let closes = svg.matches("/>").count() + svg.matches("</").count();
                    assert_eq!(
                        opens,
                        closes * 2 - svg.matches("/>").count(),
                        "{scene:?} unbalanced"
                    );
                }
            }
        }
    }

    #[test]
    fn drawing_is_deterministic_and_seed_dependent() {
        assert_eq!(
            draw(Scene::Skyline, Light::Dusk, 9),
            draw(Scene::Skyline, Light::Dusk, 9)
        );
        assert_ne!(
            draw(Scene::Skyline, Light::Dusk, 9),
            draw(Scene::Skyline, Light::Dusk, 10)
        );
    }
}
