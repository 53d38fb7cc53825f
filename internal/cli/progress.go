package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/grabhq/grab/download"
)

// progressMode is how a command shows the progress of its downloads.
type progressMode int

const (
	progressNone  progressMode = iota // -q
	progressLines                     // stderr is not a terminal: a line now and then
	progressBars                      // stderr is a terminal: mpb bars
)

// progressModeFor returns the mode for stderr: bars on a terminal, plain
// lines elsewhere, nothing when quiet.
func progressModeFor(stderr io.Writer, quiet bool) progressMode {
	if quiet {
		return progressNone
	}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return progressBars
	}
	return progressLines
}

// progress shows download.Events on stderr: with mpb bars (one for all
// files, one per active file, with speed and ETA), with a plain line every
// interval, or not at all. Its event method is a download.Client's
// Progress; close ends it. grab download, grab images --download and grab
// demo share it.
type progress struct {
	mode     progressMode
	w        io.Writer
	files    int
	interval time.Duration
	start    time.Time

	mu       sync.Mutex
	finished int   // saved, skipped or not modified
	failed   int   // not saved: counted apart, so an interrupted file is not shown as done
	bytes    int64 // arrived in this run, all files
	last     map[int]int64
	lastLine string

	p       *mpb.Progress
	overall *mpb.Bar
	bars    map[int]*barState

	stop chan struct{}
	done chan struct{}
}

type barState struct {
	bar  *mpb.Bar
	seen time.Time
}

// newProgress starts showing the progress of files downloads on w, with a
// status line every second in progressLines mode.
func newProgress(w io.Writer, mode progressMode, files int) *progress {
	return newProgressEvery(w, mode, files, time.Second)
}

// newProgressEvery is newProgress with a status line every interval.
func newProgressEvery(w io.Writer, mode progressMode, files int, interval time.Duration) *progress {
	pr := &progress{
		mode: mode, w: w, files: files, interval: interval, start: time.Now(),
		last: map[int]int64{}, bars: map[int]*barState{},
	}
	switch mode {
	case progressBars:
		pr.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(72), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())
		pr.overall = pr.p.New(int64(files), mpb.BarStyle(),
			mpb.BarPriority(-1),
			mpb.PrependDecorators(decor.Name("files ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d", decor.WCSyncSpace)),
			mpb.AppendDecorators(decor.Any(pr.totals, decor.WCSyncSpace)),
		)
	case progressLines:
		pr.stop, pr.done = make(chan struct{}), make(chan struct{})
		go pr.tick()
	}
	return pr
}

// totals is the overall bar's right-hand side: failures, bytes and mean
// speed.
func (pr *progress) totals(decor.Statistics) string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.failedLocked() + pr.summaryLocked()
}

// failedLocked is "N failed, ", or "" while nothing has failed.
func (pr *progress) failedLocked() string {
	if pr.failed == 0 {
		return ""
	}
	return fmt.Sprintf("%d failed, ", pr.failed)
}

func (pr *progress) summaryLocked() string {
	el := time.Since(pr.start).Seconds()
	speed := 0.0
	if el > 0 {
		speed = float64(pr.bytes) / el
	}
	return fmt.Sprintf("%s, %s/s", humanBytes(float64(pr.bytes)), humanBytes(speed))
}

// event takes one download.Event; it is safe for concurrent use.
func (pr *progress) event(e download.Event) {
	if pr.mode == progressNone {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	switch e.Kind {
	case download.Started:
		pr.last[e.Index] = e.Done
		if pr.mode == progressBars {
			pr.startBar(e)
		}
	case download.Bytes:
		pr.bytes += e.Done - pr.last[e.Index]
		pr.last[e.Index] = e.Done
		if bs := pr.bars[e.Index]; bs != nil {
			if e.Total > 0 {
				bs.bar.SetTotal(e.Total, false)
			}
			now := time.Now()
			bs.bar.EwmaSetCurrent(e.Done, now.Sub(bs.seen))
			bs.seen = now
		}
	case download.Retrying:
		pr.printLocked(fmt.Sprintf("grab: %s: retrying in %v: %s\n", printable(e.Path), e.Wait.Round(time.Millisecond), printable(errText(e.Err))))
		if bs := pr.bars[e.Index]; bs != nil {
			bs.bar.Abort(true)
			delete(pr.bars, e.Index)
		}
	case download.Finished, download.Failure:
		delete(pr.last, e.Index)
		if bs := pr.bars[e.Index]; bs != nil {
			if e.Kind == download.Finished {
				bs.bar.SetTotal(-1, true)
			} else {
				bs.bar.Abort(true)
			}
			delete(pr.bars, e.Index)
		}
		if e.Kind == download.Failure {
			pr.failed++
			break
		}
		pr.finished++
		if pr.overall != nil {
			pr.overall.Increment()
		}
	}
}

func (pr *progress) startBar(e download.Event) {
	if old := pr.bars[e.Index]; old != nil {
		old.bar.Abort(true)
	}
	name := filepath.Base(e.Path)
	if r := []rune(name); len(r) > 28 {
		name = string(r[:27]) + "…"
	}
	bar := pr.p.New(0, mpb.BarStyle(),
		mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(printable(name), decor.WCSyncSpaceR), decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.EwmaSpeed(decor.SizeB1024(0), "% .1f", 30, decor.WCSyncSpace), decor.Name(" ETA "), decor.EwmaETA(decor.ET_STYLE_GO, 30)),
	)
	bar.SetCurrent(e.Done)
	pr.bars[e.Index] = &barState{bar: bar, seen: time.Now()}
}

// printLocked writes a message line: above the bars, or as it is.
func (pr *progress) printLocked(s string) {
	if pr.p != nil {
		pr.p.Write([]byte(s))
		return
	}
	io.WriteString(pr.w, s)
}

// tick writes a status line every interval while something changes.
func (pr *progress) tick() {
	defer close(pr.done)
	t := time.NewTicker(pr.interval)
	defer t.Stop()
	for {
		select {
		case <-pr.stop:
			return
		case <-t.C:
			pr.mu.Lock()
			line := fmt.Sprintf("grab: %d/%d files, %s%d active, %s\n", pr.finished, pr.files, pr.failedLocked(), len(pr.last), pr.summaryLocked())
			if line != pr.lastLine {
				pr.lastLine = line
				io.WriteString(pr.w, line)
			}
			pr.mu.Unlock()
		}
	}
}

// close stops the display; bars still running are dropped.
func (pr *progress) close() {
	switch pr.mode {
	case progressBars:
		pr.mu.Lock()
		for i, bs := range pr.bars {
			bs.bar.Abort(true)
			delete(pr.bars, i)
		}
		if pr.finished < pr.files {
			pr.overall.Abort(false)
		}
		pr.mu.Unlock()
		pr.p.Wait()
	case progressLines:
		close(pr.stop)
		<-pr.done
	}
}

// humanBytes writes n bytes with a binary unit: "12.3 MiB".
func humanBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
