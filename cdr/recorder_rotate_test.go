package cdr

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func lineLen(t *testing.T, r Record) int64 {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(b) + 1)
}

// cdr.file rotates by size: no file passes MaxSize, rotated files are
// numbered newest first, at most Keep are kept, and every record is in
// exactly one file, in order, until the oldest are dropped.
func TestFileRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cdr", "cdr.jsonl")
	recs := make([]Record, 20)
	for i := range recs {
		recs[i] = record(0) // same shape: every line has the same length
	}
	size := lineLen(t, recs[0])
	rec, err := NewRecorderFile(&memStore{}, FileOptions{Path: path, MaxSize: 3*size + size/2, Keep: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := rec.Emit(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	// 3 lines a file: 20 records = 6 full files + 2 in the current one;
	// the current, .1 and .2 are kept: records 12..19.
	var got []Record
	for _, name := range []string{path + ".2", path + ".1", path} {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 3*size+size/2 {
			t.Errorf("%s is %d bytes, over the limit", name, st.Size())
		}
		got = append(got, readLines(t, name)...)
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("a third rotated file is kept: %v", err)
	}
	want := recs[12:]
	if len(got) != len(want) {
		t.Fatalf("%d records in the files, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ICID != want[i].ICID {
			t.Fatalf("record %d: icid %s, want %s", i, got[i].ICID, want[i].ICID)
		}
	}
}

// A restart goes on with the size already in the file; Keep 0 keeps no
// rotated file; a line longer than MaxSize still gets written.
func TestFileRotationRestartKeepZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cdr.jsonl")
	r0 := record(0)
	size := lineLen(t, r0)
	opt := FileOptions{Path: path, MaxSize: 2 * size, Keep: 0}
	emit := func(n int) {
		rec, err := NewRecorderFile(&memStore{}, opt, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range n {
			if err := rec.Emit(record(0)); err != nil {
				t.Fatal(err)
			}
		}
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
	}
	emit(1)
	emit(2) // second line fills the file, third starts a fresh one
	if n := len(readLines(t, path)); n != 1 {
		t.Fatalf("%d lines after the restart's rotation, want 1", n)
	}
	if _, err := os.Stat(path + ".1"); !os.IsNotExist(err) {
		t.Fatalf("keep 0 left %s.1: %v", path, err)
	}
	opt.MaxSize = 10 // smaller than one line
	emit(2)
	if n := len(readLines(t, path)); n != 1 {
		t.Fatalf("oversized lines: %d in the file, want 1 a file", n)
	}
}
