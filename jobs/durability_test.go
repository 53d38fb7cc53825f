package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/grabhq/grab/jobs"
	"github.com/grabhq/grab/testserver"
)

// durable sets up a gallery of 8 images, runs the job once, then changes
// the site: 3 images change, 1 leaves the page, 2 arrive. The second run
// must report exactly want.
type durable struct {
	s    *site
	j    *jobs.Job
	dir  string
	want map[string]jobs.Status
}

func imgBody(name string, version int) []byte {
	return []byte(fmt.Sprintf("\x89PNG\r\n\x1a\n%s v%d %s", name, version, strings.Repeat("x", 2000)))
}

func newDurable(t *testing.T) *durable {
	t.Helper()
	s := newSite(t)
	var imgs []string
	for i := range 8 {
		p := fmt.Sprintf("/img/%d.png", i)
		imgs = append(imgs, p)
		s.Set(p, "image/png", imgBody(p, 1), testserver.ETag|testserver.LastModified)
	}
	s.page("/gallery.html", testserver.ETag, imgs, nil)
	dir := t.TempDir()
	j := jobFile(t, dir, fmt.Sprintf(`
name: durable
targets: {urls: [%s/gallery.html]}
extract: {images: true}
download: {dir: files, concurrency: 2}
retries: 0
`, s.URL))
	if rep, err := runner(t).Run(t.Context(), j); err != nil || rep.Run.Counts.New != 9 {
		t.Fatalf("first run: %v, %+v", err, rep)
	}
	// The change between the runs.
	for _, i := range []int{1, 4, 6} {
		p := fmt.Sprintf("/img/%d.png", i)
		s.Set(p, "image/png", imgBody(p, 2), testserver.ETag|testserver.LastModified)
	}
	imgs = append(imgs[:7:7], "/img/8.png", "/img/9.png") // 7.png leaves
	for _, p := range []string{"/img/8.png", "/img/9.png"} {
		s.Set(p, "image/png", imgBody(p, 1), testserver.ETag)
	}
	s.page("/gallery.html", testserver.ETag, imgs, nil)
	want := map[string]jobs.Status{"page /gallery.html": jobs.Changed, "image /img/7.png": jobs.Gone}
	for i := range 10 {
		switch i {
		case 1, 4, 6:
			want[fmt.Sprintf("image /img/%d.png", i)] = jobs.Changed
		case 8, 9:
			want[fmt.Sprintf("image /img/%d.png", i)] = jobs.New
		case 0, 2, 3, 5:
			want[fmt.Sprintf("image /img/%d.png", i)] = jobs.Unchanged
		}
	}
	return &durable{s: s, j: j, dir: dir, want: want}
}

// check runs the job to its end and verifies the second run's report,
// its files and its history.
func (d *durable) check(t *testing.T, resumed int) {
	t.Helper()
	rep, err := runner(t).Run(t.Context(), d.j)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	seen := map[string]int{}
	for _, it := range rep.Items {
		seen[it.Kind+" "+strings.TrimPrefix(it.URL, d.s.URL)]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s reported %d times", k, n)
		}
	}
	wantStatuses(t, 2, rep, d.s.URL, d.want)
	if want := (jobs.Counts{New: 2, Changed: 4, Unchanged: 4, Gone: 1}); rep.Run.Counts != want {
		t.Errorf("counts %+v, want %+v", rep.Run.Counts, want)
	}
	if rep.Run.Seq != 2 || rep.Run.Resumed != resumed || rep.Run.Status != jobs.OK {
		t.Errorf("run %d resumed %d times, status %s; want run 2 resumed %d times, ok", rep.Run.Seq, rep.Run.Resumed, rep.Run.Status, resumed)
	}
	host := strings.ReplaceAll(strings.TrimPrefix(d.s.URL, "http://"), ":", "_")
	for i := range 10 {
		p := fmt.Sprintf("/img/%d.png", i)
		v := 1
		if i == 1 || i == 4 || i == 6 {
			v = 2
		}
		got, err := os.ReadFile(filepath.Join(d.dir, "files", host, "img", fmt.Sprintf("%d.png", i)))
		if err != nil || string(got) != string(imgBody(p, v)) {
			t.Errorf("file of %s: %.30q (%v), want version %d", p, got, err, v)
		}
	}
	h, err := jobs.ReadHistory(d.j, 0)
	if err != nil || len(h.Runs) != 2 {
		t.Fatalf("history: %+v, %v", h, err)
	}
	reports, _ := filepath.Glob(filepath.Join(d.j.OutputDir(), "*.jsonl"))
	if len(reports) != 2 {
		t.Errorf("reports %v, want 2", reports)
	}
}

// startChild runs the job in a second process and returns it.
func startChild(t *testing.T, j *jobs.Job) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+j.Path)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func waitArrived(t *testing.T, b *testserver.Block) {
	t.Helper()
	select {
	case <-b.Arrived():
	case <-time.After(20 * time.Second):
		t.Fatal("the request never reached the gate")
	}
}

// killAt runs the job in a second process and kills it (SIGKILL) when it
// requests gate.
func (d *durable) killAt(t *testing.T, gate string) {
	t.Helper()
	b := d.s.Block(gate)
	cmd := startChild(t, d.j)
	waitArrived(t, b)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	b.Release()
}

// TestKill9 kills a second process running the job at several points
// (HOSTILE.md Q2) and reruns it: no item lost, none counted twice, every
// file whole, the report published once.
func TestKill9(t *testing.T) {
	for _, gate := range []string{"/gallery.html", "/img/0.png", "/img/4.png", "/img/9.png"} {
		t.Run(strings.TrimPrefix(gate, "/"), func(t *testing.T) {
			d := newDurable(t)
			d.killAt(t, gate)
			if reports, _ := filepath.Glob(filepath.Join(d.j.OutputDir(), "run-000002*")); len(reports) != 0 {
				t.Errorf("a killed run published %v", reports)
			}
			if h, err := jobs.ReadHistory(d.j, 0); err != nil || len(h.Runs) != 2 || h.Runs[1].Status != jobs.Stopped {
				t.Errorf("ReadHistory = %+v, %v; want run 2 stopped", h, err)
			}
			d.check(t, 1)
		})
	}
}

// TestOverlapAcrossProcesses: while another process runs the job, a run
// here is refused with ErrLocked and changes nothing (HOSTILE.md Q1).
func TestOverlapAcrossProcesses(t *testing.T) {
	d := newDurable(t)
	b := d.s.Block("/img/2.png")
	cmd := startChild(t, d.j)
	waitArrived(t, b)
	start := time.Now()
	r := runner(t)
	r.LockWait = 200 * time.Millisecond
	if _, err := r.Run(t.Context(), d.j); !errors.Is(err, jobs.ErrLocked) {
		t.Fatalf("Run while another process runs the job = %v, want ErrLocked", err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Errorf("gave up after %v, want about LockWait", waited)
	}
	b.Release()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	// The child finished run 2; a third run sees nothing new.
	rep, err := runner(t).Run(t.Context(), d.j)
	if err != nil || rep.Run.Seq != 3 || rep.Run.Counts != (jobs.Counts{Unchanged: 10}) {
		t.Errorf("run after the child's = %+v, %v; want run 3 with 10 unchanged", rep.Run, err)
	}
}

// TestInterruptResumes cancels a run half-way, as SIGTERM does (HOSTILE.md
// Q5): the run is Interrupted, nothing is published, and the next run
// resumes it.
func TestInterruptResumes(t *testing.T) {
	d := newDurable(t)
	b := d.s.Block("/img/5.png")
	ctx, cancel := contextWithCancel(t)
	errc := make(chan error, 1)
	var rep *jobs.Report
	go func() {
		var err error
		rep, err = runner(t).Run(ctx, d.j)
		errc <- err
	}()
	waitArrived(t, b)
	cancel()
	err := <-errc
	if err == nil || rep == nil || rep.Run.Status != jobs.Interrupted {
		t.Fatalf("interrupted Run = %v, %+v; want Interrupted", err, rep)
	}
	if reports, _ := filepath.Glob(filepath.Join(d.j.OutputDir(), "run-000002*")); len(reports) != 0 {
		t.Errorf("an interrupted run published %v", reports)
	}
	h, _ := jobs.ReadHistory(d.j, 0)
	if last := h.Runs[len(h.Runs)-1]; last.Status != jobs.Interrupted {
		t.Errorf("history's last run is %s, want interrupted", last.Status)
	}
	b.Release()
	d.check(t, 1)
}

// TestInterruptTruncatedResumes: a run that limits.max_items cut short and
// that is then interrupted resumes still cut short: the item past the cap
// is not called gone (and forgotten), and the run is partial, as it would
// have been uninterrupted.
func TestInterruptTruncatedResumes(t *testing.T) {
	s := newSite(t)
	for _, p := range []string{"a", "b", "c", "d"} {
		s.Set("/img/"+p+".png", "image/png", []byte("\x89PNG\r\n\x1a\n"+p), 0)
	}
	s.page("/p/1.html", 0, []string{"/img/a.png"}, nil)
	s.page("/p/2.html", 0, []string{"/img/c.png", "/img/d.png"}, nil)
	j := jobFile(t, t.TempDir(), fmt.Sprintf(`
name: capped
targets: {urls: [%[1]s/p/1.html, %[1]s/p/2.html]}
extract: {images: true}
download: {dir: files, concurrency: 1}
limits: {max_items: 5, concurrency: 1}
`, s.URL))
	if rep, err := runner(t).Run(t.Context(), j); err != nil || rep.Run.Status != jobs.OK {
		t.Fatalf("run 1: %v, %v", rep.Run.Status, err)
	}
	// Six items now: the last found (d) is past the cap.
	s.page("/p/1.html", 0, []string{"/img/a.png", "/img/b.png"}, nil)
	b := s.Block("/img/c.png")
	ctx, cancel := contextWithCancel(t)
	errc := make(chan error, 1)
	go func() {
		_, err := runner(t).Run(ctx, j)
		errc <- err
	}()
	waitArrived(t, b)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("run 2: %v, want it interrupted", err)
	}
	b.Release()
	rep, err := runner(t).Run(t.Context(), j)
	if err != nil || rep.Run.Status != jobs.Partial || !rep.Run.Truncated {
		t.Fatalf("resumed run: %v (truncated %v), %v; want partial and truncated", rep.Run.Status, rep.Run.Truncated, err)
	}
	if st := statuses(rep, s.URL)["image /img/d.png"]; st == jobs.Gone {
		t.Errorf("d.png, cut by max_items only, is reported %s", st)
	}
}

// TestCorruptState damages the state file (HOSTILE.md Q4): the backup of
// the last good run is restored, said so, and progress is not reset.
func TestCorruptState(t *testing.T) {
	damage := map[string]func(path string) error{
		"truncated": func(p string) error { return os.Truncate(p, 4096*3) },
		"zeroed metas": func(p string) error {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt(make([]byte, 2*4096), 0)
			return err
		},
		"garbage": func(p string) error { return os.WriteFile(p, []byte("not a database at all"), 0o600) },
		"emptied": func(p string) error { return os.Truncate(p, 0) },
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			d := newDurable(t)
			if err := f(d.j.StatePath()); err != nil {
				t.Fatal(err)
			}
			rep, err := runner(t).Run(t.Context(), d.j)
			if err != nil {
				t.Fatalf("Run on a damaged state: %v", err)
			}
			if rep.Restored == "" {
				t.Error("Report.Restored is empty: the restore went unsaid")
			}
			if _, err := os.Stat(rep.Restored); err != nil {
				t.Errorf("the damaged file was not kept: %v", err)
			}
			if want := (jobs.Counts{New: 2, Changed: 4, Unchanged: 4, Gone: 1}); rep.Run.Counts != want {
				t.Errorf("counts after restore %+v, want %+v (progress kept)", rep.Run.Counts, want)
			}
		})
	}
	t.Run("two runs at once", func(t *testing.T) {
		// One restores and runs; the other finds the job running, and
		// neither starts over from an empty state.
		for trial := range 5 {
			d := newDurable(t)
			os.WriteFile(d.j.StatePath(), []byte("not a database at all"), 0o600)
			var wg sync.WaitGroup
			reps := make([]*jobs.Report, 2)
			errs := make([]error, 2)
			for i := range 2 {
				wg.Go(func() { reps[i], errs[i] = runner(t).Run(t.Context(), d.j) })
			}
			wg.Wait()
			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
					if c := reps[i].Run.Counts; c.New > 2 {
						t.Errorf("trial %d: a run started over: %+v", trial, c)
					}
				case !errors.Is(err, jobs.ErrLocked):
					t.Errorf("trial %d: Run = %v, want success or ErrLocked", trial, err)
				}
			}
			if ok == 0 {
				t.Errorf("trial %d: no run succeeded: %v", trial, errs)
			}
		}
	})
	t.Run("not damage", func(t *testing.T) {
		// A state file the system refuses (here a directory in its
		// place) is that error, not damage: nothing set aside, nothing
		// restored.
		d := newDurable(t)
		path := d.j.StatePath()
		os.Remove(path)
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		_, err := runner(t).Run(t.Context(), d.j)
		if err == nil || errors.Is(err, jobs.ErrCorruptState) || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("Run = %v, want the directory's error", err)
		}
		if m, _ := filepath.Glob(path + ".damaged-*"); len(m) > 0 {
			t.Errorf("set aside as damaged: %v", m)
		}
	})
	t.Run("empty file, status", func(t *testing.T) {
		// An empty state file, as a kill leaves one before bbolt's first
		// write, holds no run: status says so, not "bad file descriptor".
		d := newDurable(t)
		if err := os.Truncate(d.j.StatePath(), 0); err != nil {
			t.Fatal(err)
		}
		h, err := jobs.ReadHistory(d.j, time.Second)
		if err != nil || len(h.Runs) != 0 || h.Running {
			t.Errorf("ReadHistory = %+v, %v; want no runs", h, err)
		}
	})
	t.Run("restore fails", func(t *testing.T) {
		// A backup that cannot be copied leaves the damaged file where it
		// is: the next run tries again, and never starts over.
		d := newDurable(t)
		bak := d.j.StatePath() + ".bak"
		os.Truncate(d.j.StatePath(), 100)
		os.Rename(bak, bak+".good")
		if err := os.Mkdir(bak, 0o700); err != nil { // reading it fails
			t.Fatal(err)
		}
		for i := range 2 {
			if _, err := runner(t).Run(t.Context(), d.j); !errors.Is(err, jobs.ErrCorruptState) {
				t.Fatalf("run %d: Run = %v, want ErrCorruptState", i, err)
			}
			if st, err := os.Stat(d.j.StatePath()); err != nil || st.Size() != 100 {
				t.Fatalf("run %d: the damaged state file was not left in place: %v", i, err)
			}
		}
		os.Remove(bak)
		os.Rename(bak+".good", bak)
		rep, err := runner(t).Run(t.Context(), d.j)
		if err != nil || rep.Restored == "" || rep.Run.Counts.New > 2 {
			t.Fatalf("with the backup back: %v, %+v; want it restored, progress kept", err, rep)
		}
	})
	t.Run("a crawl's state file", func(t *testing.T) {
		// grab crawl --state's file, given as the job's state, is
		// refused, not written into.
		d := newDurable(t)
		path := d.j.StatePath()
		os.Remove(path)
		os.Remove(path + ".bak")
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("queue"))
			return err
		})
		db.Close()
		before, _ := os.ReadFile(path)
		if _, err := runner(t).Run(t.Context(), d.j); err == nil || !strings.Contains(err.Error(), `not a job's state file (it holds "queue")`) {
			t.Fatalf("Run = %v, want the crawl's file refused", err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
			t.Error("the crawl's file was written")
		}
	})
	t.Run("no backup", func(t *testing.T) {
		d := newDurable(t)
		os.Remove(d.j.StatePath() + ".bak")
		os.Truncate(d.j.StatePath(), 100)
		if _, err := runner(t).Run(t.Context(), d.j); !errors.Is(err, jobs.ErrCorruptState) {
			t.Fatalf("Run = %v, want ErrCorruptState", err)
		}
		if st, _ := os.Stat(d.j.StatePath()); st == nil || st.Size() != 100 {
			t.Error("the damaged state file was changed or removed")
		}
	})
}

// TestScheduleCatchesUpStopped: a run killed without recording its end
// (ReadHistory: Stopped) is resumed at once by a Scheduler with
// CatchUpOnce, as an interrupted one is, though no slot was missed.
func TestScheduleCatchesUpStopped(t *testing.T) {
	d := newDurable(t)
	d.killAt(t, "/img/4.png")
	d.j.Schedule = "0 * * * *"
	h, err := jobs.ReadHistory(d.j, 0)
	if err != nil || len(h.Runs) != 2 || h.Runs[1].Status != jobs.Stopped {
		t.Fatalf("ReadHistory = %+v, %v; want run 2 stopped", h, err)
	}
	// A minute after the stopped run began: no slot between.
	sc := schedule(t, h.Runs[1].Started.Add(time.Minute), &jobs.Scheduler{CatchUp: jobs.CatchUpOnce}, nil, d.j)
	if got := sc.collect(t, 1); len(got) != 1 {
		t.Errorf("catch-up runs %v, want exactly 1", got)
	}
}
