package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Plot geometry, in pixels.
const (
	plotWidth   = 1000
	plotHeight  = 640
	plotLeft    = 80  // left edge of the panels
	plotRight   = 970 // right edge of the panels
	panelHeight = 230
	topPanelY   = 60  // top edge of the RSS panel
	botPanelY   = 350 // top edge of the goroutines panel
)

// palette is the plot's colours.
type palette struct {
	background, axis, grid, shade, rss, fit, goroutines, marker color.RGBA
}

func plotPalette() palette {
	return palette{
		background: color.RGBA{255, 255, 255, 255},
		axis:       color.RGBA{40, 40, 40, 255},
		grid:       color.RGBA{225, 225, 225, 255},
		shade:      color.RGBA{238, 238, 238, 255},
		rss:        color.RGBA{31, 119, 180, 255},
		fit:        color.RGBA{214, 39, 40, 255},
		goroutines: color.RGBA{44, 160, 44, 255},
		marker:     color.RGBA{110, 110, 110, 255},
	}
}

// writePlot draws the report's RSS and goroutine series as a PNG.
func writePlot(w io.Writer, r *report) error {
	return png.Encode(w, renderPlot(r))
}

// canvas is an image with the drawing operations the plot needs.
type canvas struct{ img *image.RGBA }

func (c canvas) set(x, y int, col color.Color) {
	if image.Pt(x, y).In(c.img.Rect) {
		c.img.Set(x, y, col)
	}
}

// line draws a line two pixels thick; with dash > 0, in dashes of that
// many pixels.
func (c canvas) line(x0, y0, x1, y1 int, col color.Color, dash int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for i := 0; ; i++ {
		if dash == 0 || (i/dash)%2 == 0 {
			c.set(x0, y0, col)
			c.set(x0, y0+1, col)
			c.set(x0+1, y0, col)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

// hairline draws a one-pixel horizontal or vertical line.
func (c canvas) hairline(x0, y0, x1, y1 int, col color.Color) {
	draw.Draw(c.img, image.Rect(min(x0, x1), min(y0, y1), max(x0, x1)+1, max(y0, y1)+1), image.NewUniform(col), image.Point{}, draw.Src)
}

// text draws s with its baseline at y, starting at x (align 0), centred on
// x (align 1) or ending at x (align 2).
func (c canvas) text(x, y int, s string, align int, col color.Color) {
	face := basicfont.Face7x13
	width := font.MeasureString(face, s).Round()
	x -= width * align / 2
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// axis maps data values to pixels along one axis.
type axis struct {
	lo, hi   float64 // data range
	p0, p1   int     // pixel range: lo maps to p0
	ticks    []float64
	decimals int
}

// newAxis returns an axis over [lo, hi] with about nticks ticks at round
// values. A tight axis ends exactly at hi; otherwise both ends are
// rounded outwards to a tick.
func newAxis(lo, hi float64, p0, p1, nticks int, tight bool) axis {
	if !(hi > lo) {
		lo, hi = lo-1, hi+1
	}
	step := niceStep((hi - lo) / float64(nticks))
	a := axis{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi/step) * step, p0: p0, p1: p1}
	if tight {
		a.hi = hi
	}
	for i := 0; ; i++ {
		v := a.lo + float64(i)*step
		if v > a.hi+step*1e-9 {
			break
		}
		a.ticks = append(a.ticks, v)
	}
	a.decimals = max(0, -int(math.Floor(math.Log10(step))))
	return a
}

func (a axis) px(v float64) int {
	return a.p0 + int(math.Round((v-a.lo)/(a.hi-a.lo)*float64(a.p1-a.p0)))
}

func (a axis) label(v float64) string { return fmt.Sprintf("%.*f", a.decimals, v) }

// niceStep rounds raw up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / p; {
	case f <= 1:
		return p
	case f <= 2:
		return 2 * p
	case f <= 5:
		return 5 * p
	default:
		return 10 * p
	}
}

// renderPlot draws two panels over the run's time: RSS with its fit over
// the measured window, and goroutines. Parts of the run outside the
// measured window (warm-up, settling) are shaded.
func renderPlot(r *report) *image.RGBA {
	pal := plotPalette()
	img := image.NewRGBA(image.Rect(0, 0, plotWidth, plotHeight))
	draw.Draw(img, img.Bounds(), image.NewUniform(pal.background), image.Point{}, draw.Src)
	p := newPlot(canvas{img}, pal, r.Samples, r.Meta.GOOS)
	p.title(r)

	rssT, rssY := p.rssSeries()
	ra := p.panel(topPanelY, "RSS (MB)", rssT, rssY, pal.rss)
	p.fit(r.Analysis, ra)
	quiet := quietPoints(r.Goroutines)
	gT, gY := p.goroutineSeries()
	var counts []float64
	for _, q := range quiet {
		counts = append(counts, float64(q.Goroutines))
	}
	ga := p.panel(botPanelY, "goroutines", gT, gY, pal.goroutines, counts...)
	for _, q := range quiet {
		p.quietMarker(q, ga)
	}
	p.timeLabels()
	return img
}

// plot is a drawing in progress: its canvas, the run's samples, and the
// time axis both panels share.
type plot struct {
	c    canvas
	pal  palette
	ss   []sample
	goos string
	xa   axis
	// unit names the time axis's unit, and scale is its length in seconds.
	unit  string
	scale float64
}

// newPlot returns a plot of ss, with a time axis in seconds, or in minutes
// for a run longer than 10 minutes.
func newPlot(c canvas, pal palette, ss []sample, goos string) *plot {
	tmax := 1.0
	if len(ss) > 0 {
		tmax = max(ss[len(ss)-1].T, 1)
	}
	p := &plot{c: c, pal: pal, ss: ss, goos: goos, unit: "s", scale: 1}
	if tmax > 600 {
		p.unit, p.scale = "min", 60
	}
	p.xa = newAxis(0, tmax/p.scale, plotLeft, plotRight, 10, true)
	return p
}

// title writes what the plot shows, where it was measured, and the verdict.
func (p *plot) title(r *report) {
	p.c.text(plotWidth/2, 22, fmt.Sprintf("soak: RSS and goroutines over time (%s, %s/%s, %s)",
		r.Meta.Start.UTC().Format("2006-01-02 15:04Z"), r.Meta.GOOS, r.Meta.GOARCH, r.Meta.GoVersion), 1, p.pal.axis)
	verdict := "verdict: PASS"
	if !r.Verdict.Pass {
		verdict = "verdict: FAIL"
	}
	p.c.text(plotWidth/2, 40, verdict+"   shaded: warm-up and quiet measurements (not judged)", 1, p.pal.marker)
}

// rssSeries returns the samples' RSS in MB, where it was read, over time.
func (p *plot) rssSeries() (ts, ys []float64) {
	for _, s := range p.ss {
		if s.RSSOK {
			ts = append(ts, s.T/p.scale)
			ys = append(ys, float64(s.RSS)/mb)
		}
	}
	return ts, ys
}

// goroutineSeries returns the samples' goroutine counts over time.
func (p *plot) goroutineSeries() (ts, ys []float64) {
	for _, s := range p.ss {
		ts = append(ts, s.T/p.scale)
		ys = append(ys, float64(s.Goroutines))
	}
	return ts, ys
}

// panel draws one series in the panel whose top edge is at top, and
// returns its value axis; extra are values its range must include.
func (p *plot) panel(top int, name string, ts, ys []float64, col color.Color, extra ...float64) axis {
	bottom := top + panelHeight
	p.shade(top, bottom)
	lo, hi := valueRange(ys, extra)
	ya := newAxis(lo, hi, bottom, top, 5, false)
	p.grid(ya, top, bottom)
	p.c.text(plotLeft+8, top+16, name, 0, col)
	if len(ys) == 0 {
		p.c.text((plotLeft+plotRight)/2, (top+bottom)/2, name+": unavailable on "+p.goos, 1, p.pal.marker)
		return ya
	}
	for i := 1; i < len(ys); i++ {
		p.c.line(p.xa.px(ts[i-1]), ya.px(ys[i-1]), p.xa.px(ts[i]), ya.px(ys[i]), col, 0)
	}
	if len(ys) == 1 {
		p.c.line(p.xa.px(ts[0]), ya.px(ys[0]), p.xa.px(ts[0]), ya.px(ys[0]), col, 0)
	}
	return ya
}

// shade shades, between top and bottom, the parts of the run that are not
// measured.
func (p *plot) shade(top, bottom int) {
	ss := p.ss
	for i := 0; i+1 < len(ss); i++ {
		if ss[i].Phase != phaseSteady || ss[i+1].Phase != phaseSteady {
			x0, x1 := p.xa.px(ss[i].T/p.scale), p.xa.px(ss[i+1].T/p.scale)
			draw.Draw(p.c.img, image.Rect(x0, top, x1+1, bottom), image.NewUniform(p.pal.shade), image.Point{}, draw.Src)
		}
	}
}

// valueRange returns the range a panel's value axis covers: that of ys and
// extra, with a margin of 5% each way, or [0, 1] for no values.
func valueRange(ys, extra []float64) (lo, hi float64) {
	lo, hi = 0.0, 1.0
	if all := append(ys[:len(ys):len(ys)], extra...); len(all) > 0 {
		lo, hi = all[0], all[0]
		for _, y := range all {
			lo, hi = min(lo, y), max(hi, y)
		}
		pad := (hi - lo) * 0.05
		lo, hi = lo-pad, hi+pad
	}
	return lo, hi
}

// grid draws a panel's grid, its value axis's ticks and labels, the time
// axis's ticks, and its frame.
func (p *plot) grid(ya axis, top, bottom int) {
	c, pal := p.c, p.pal
	for _, v := range ya.ticks {
		y := ya.px(v)
		c.hairline(plotLeft, y, plotRight, y, pal.grid)
		c.hairline(plotLeft-5, y, plotLeft, y, pal.axis)
		c.text(plotLeft-8, y+4, ya.label(v), 2, pal.axis)
	}
	for _, v := range p.xa.ticks {
		x := p.xa.px(v)
		c.hairline(x, top, x, bottom, pal.grid)
		c.hairline(x, bottom, x, bottom+5, pal.axis)
	}
	c.hairline(plotLeft, top, plotLeft, bottom, pal.axis)
	c.hairline(plotLeft, bottom, plotRight, bottom, pal.axis)
	c.hairline(plotLeft, top, plotRight, top, pal.axis)
	c.hairline(plotRight, top, plotRight, bottom, pal.axis)
}

// fit draws the RSS fit over the measured window on the RSS panel, whose
// value axis is ra, if RSS was measured.
func (p *plot) fit(a analysis, ra axis) {
	if !a.RSSOK {
		return
	}
	y0 := (a.RSS.Intercept + a.RSS.Slope*a.WindowFrom) / mb
	y1 := (a.RSS.Intercept + a.RSS.Slope*a.WindowTo) / mb
	p.c.line(p.xa.px(a.WindowFrom/p.scale), ra.px(y0), p.xa.px(a.WindowTo/p.scale), ra.px(y1), p.pal.fit, 6)
	p.c.text(plotRight-8, topPanelY+16, fmt.Sprintf("least-squares fit over the measured window: %+.2f MB/h", a.RSSSlopeMBh), 2, p.pal.fit)
}

// quietPoints returns the quiet points that were reached, whose goroutine
// counts the drift check compares.
func quietPoints(g goroutineReport) []*quietPoint {
	var qs []*quietPoint
	for _, q := range []*quietPoint{g.Warm, g.End} {
		if q != nil && q.Reached {
			qs = append(qs, q)
		}
	}
	return qs
}

// quietMarker marks a quiet point on the goroutines panel, whose value axis
// is ga, with its count.
func (p *plot) quietMarker(q *quietPoint, ga axis) {
	x, y := p.xa.px(q.T/p.scale), ga.px(float64(q.Goroutines))
	for d := -4; d <= 4; d++ {
		w := 4 - abs(d)
		p.c.hairline(x-w, y+d, x+w, y+d, p.pal.axis)
	}
	label := fmt.Sprintf("quiet point: %d", q.Goroutines)
	if x+7+font.MeasureString(basicfont.Face7x13, label).Round() > plotRight {
		p.c.text(x-7, y-6, label, 2, p.pal.axis)
	} else {
		p.c.text(x+7, y-6, label, 0, p.pal.axis)
	}
}

// timeLabels labels the time axis under the bottom panel.
func (p *plot) timeLabels() {
	bottom := botPanelY + panelHeight
	for _, v := range p.xa.ticks {
		p.c.text(p.xa.px(v), bottom+20, p.xa.label(v), 1, p.pal.axis)
	}
	p.c.text((plotLeft+plotRight)/2, bottom+42, "time since the workload started ("+p.unit+")", 1, p.pal.axis)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
