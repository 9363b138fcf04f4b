package cdr

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// memStore is a small Store for the tests. It records what it was given and,
// at each PutCDR, what cdr.file held then, to check the order of the two.
type memStore struct {
	mu        sync.Mutex
	records   []Record
	fileAtPut []string
	file      string
	err       error
}

func (m *memStore) PutCDR(r Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if m.file != "" {
		b, _ := os.ReadFile(m.file)
		m.fileAtPut = append(m.fileAtPut, string(b))
	}
	m.records = append(m.records, r)
	return nil
}

func readLines(t *testing.T, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func record(i int) Record {
	return Record{ICID: NewICID(), SessionID: NewSessionID(), AppKey: "demo", CallerNum: "+8613800000001",
		BindNum: "+8617000000000", ULFailReason: 8014 + i, Direction: DirRefused}
}

func TestEmitStoreThenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "cdr.jsonl")
	st := &memStore{file: path}
	rec, err := NewRecorder(st, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := record(0), record(1)
	for _, r := range []Record{a, b} {
		if err := rec.Emit(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if len(st.records) != 2 || st.records[0] != a || st.records[1] != b {
		t.Fatalf("store holds %+v", st.records)
	}
	// The store had each record before its line reached the file.
	if strings.Contains(st.fileAtPut[0], a.ICID) || strings.Contains(st.fileAtPut[1], b.ICID) {
		t.Fatal("a line was written before its record was stored")
	}
	lines := readLines(t, path)
	if len(lines) != 2 || lines[0] != a || lines[1] != b {
		t.Fatalf("file holds %+v", lines)
	}
}

// TestEmitAppends: a second run appends to the lines of the first.
func TestEmitAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cdr.jsonl")
	var want []Record
	for run := range 2 {
		rec, err := NewRecorder(&memStore{}, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := record(run)
		if err := rec.Emit(r); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
		rec.Close()
	}
	if got := readLines(t, path); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("file holds %+v, want %+v", got, want)
	}
}

func TestEmitStoreFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cdr.jsonl")
	boom := errors.New("disk full")
	rec, err := NewRecorder(&memStore{err: boom}, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if err := rec.Emit(record(0)); !errors.Is(err, boom) || errors.Is(err, ErrFile) {
		t.Fatalf("Emit = %v, want the store's error", err)
	}
	if got := readLines(t, path); len(got) != 0 {
		t.Fatalf("a record the store refused reached the file: %+v", got)
	}
}

// TestEmitFileFails: /dev/full refuses every write; the record is still in
// the store and the error says it was the file.
func TestEmitFileFails(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	st := &memStore{}
	rec, err := NewRecorder(st, "/dev/full", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if err := rec.Emit(record(0)); !errors.Is(err, ErrFile) {
		t.Fatalf("Emit = %v, want ErrFile", err)
	}
	if len(st.records) != 1 {
		t.Fatal("record not stored")
	}
}

func TestEmitRefuses(t *testing.T) {
	st := &memStore{}
	rec, err := NewRecorder(st, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Emit(Record{}); !errors.Is(err, ErrNoICID) {
		t.Errorf("Emit without icid = %v", err)
	}
	if err := rec.Emit(record(0)); err != nil { // no file: store only
		t.Errorf("Emit = %v", err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := rec.Emit(record(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Emit after Close = %v", err)
	}
	if len(st.records) != 1 {
		t.Errorf("store holds %d records, want 1", len(st.records))
	}
	if _, err := NewRecorder(nil, "", nil); !errors.Is(err, ErrNoStore) {
		t.Errorf("NewRecorder(nil) = %v", err)
	}
	if _, err := NewRecorder(st, t.TempDir(), nil); !errors.Is(err, ErrFile) { // a directory
		t.Errorf("NewRecorder on a directory = %v", err)
	}
}

// TestEmitConcurrent: many calls emitting at once give whole lines, each
// record once.
func TestEmitConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cdr.jsonl")
	st := &memStore{}
	rec, err := NewRecorder(st, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := rec.Emit(record(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	rec.Close()
	seen := map[string]bool{}
	for _, r := range readLines(t, path) {
		if seen[r.ICID] {
			t.Fatalf("icid %s twice", r.ICID)
		}
		seen[r.ICID] = true
	}
	if len(seen) != n || len(st.records) != n {
		t.Fatalf("%d lines, %d stored, want %d", len(seen), len(st.records), n)
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for i := range 1000 {
		for _, id := range []string{NewICID(), NewSessionID()} {
			if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
				t.Fatalf("id %q is not 32 hex", id)
			}
			if seen[id] {
				t.Fatalf("id %q repeated after %d", id, i)
			}
			seen[id] = true
		}
	}
}

func ExampleNewFeeEvent() {
	b, _ := json.Marshal(NewFeeEvent(nil))
	fmt.Println(string(b))
	// Output: {"eventType":"fee","feeLst":[]}
}
