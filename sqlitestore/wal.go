package sqlitestore

import (
	"encoding/binary"
	"errors"
	"os"
	"sync"
	"time"
)

var errNoCache = errors.New("sqlitestore: no user cache for this database")

// walMark is a WAL-index header: it changes with every commit.
type walMark [walHeaderSize]byte

// The WAL-index header (https://sqlite.org/walformat.html#the_wal_index_file_format)
// is 48 bytes, kept twice at the start of the -shm file. A writer rewrites
// the second copy, then the first, before its commit returns; readers read
// the first, then the second, and trust them only if they are equal and
// the checksum holds. Fields are in the machine's byte order:
//
//	0  iVersion     4  unused     8  iChange (every commit)
//	12 isInit       13 bigEndCksum  14 szPage
//	16 mxFrame      20 nPage      24 aFrameCksum[2]
//	32 aSalt[2]     40 aCksum[2] (over bytes 0-39)
const (
	walHeaderSize    = 48
	walHeaderVersion = 3007000
)

// walIndex reads the WAL-index header of one database, where a commit
// leaves it: in the -shm file, mapped into memory where the system allows
// (wal_mmap.go), or read with pread (wal_read.go). Either is far cheaper
// than PRAGMA data_version, which takes the WAL-index lock with an fcntl
// and runs a statement.
//
// The file stays open for the life of the process, one per database
// file, shared by every Store on it: closing any descriptor of a file
// drops every POSIX lock the process holds on it, and SQLite's
// connections in this process hold their WAL locks on this one (the
// "close() cancels locks" way to corrupt a database that SQLite's
// documentation warns of). That is this package's one process-wide state.
type walIndex struct {
	f   *os.File
	mem []byte // the file's first page, mapped read-only; nil: use pread
}

var (
	walIndexesMu sync.Mutex
	walIndexes   = map[string]*walIndex{} // by the -shm file's path
)

// openWALIndex returns the process's walIndex of the database at path
// (absolute, as PRAGMA database_list gives it).
func openWALIndex(db string) (*walIndex, error) {
	walIndexesMu.Lock()
	defer walIndexesMu.Unlock()
	path := db + "-shm"
	w := walIndexes[path]
	if w == nil {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		w = &walIndex{f: f, mem: mapHeader(f)}
		walIndexes[path] = w // never closed: see walIndex
	}
	// A commit may be rewriting the header this instant: look again.
	for range 200 {
		if _, ok := w.read(); ok {
			return w, nil
		}
		time.Sleep(time.Millisecond)
	}
	return nil, errNoCache
}

// read returns the header, and false if it cannot be trusted right now (a
// commit is rewriting it, or the file is not a WAL index).
func (w *walIndex) read() (m walMark, ok bool) {
	var b [2 * walHeaderSize]byte
	if !w.copyHeaders(&b) {
		return m, false
	}
	first, second := b[:walHeaderSize], b[walHeaderSize:]
	if string(first) != string(second) {
		return m, false
	}
	ne := binary.NativeEndian
	if ne.Uint32(first[0:]) != walHeaderVersion || first[12] != 1 {
		return m, false
	}
	var s1, s2 uint32
	for i := 0; i < 40; i += 8 {
		s1 += ne.Uint32(first[i:]) + s2
		s2 += ne.Uint32(first[i+4:]) + s1
	}
	if s1 != ne.Uint32(first[40:]) || s2 != ne.Uint32(first[44:]) {
		return m, false
	}
	copy(m[:], first)
	return m, true
}

// pread copies both headers with one read of the file.
func (w *walIndex) pread(b *[2 * walHeaderSize]byte) bool {
	n, err := w.f.ReadAt(b[:], 0)
	return n == len(b) && err == nil
}
