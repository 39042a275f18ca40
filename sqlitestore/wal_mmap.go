//go:build unix

package sqlitestore

import (
	"encoding/binary"
	"os"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// mapHeader maps the first page of the -shm file read-only and shared, so
// that reading the header is a few loads from memory; nil if it cannot.
func mapHeader(f *os.File) []byte {
	mem, err := syscall.Mmap(int(f.Fd()), 0, os.Getpagesize(), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	return mem
}

// copyHeaders copies both header copies, first then second, as SQLite's
// readers do, with atomic loads: a writer rewrites them second then first,
// with memory barriers between, so equal copies are a whole header. Should
// the file shrink under the mapping (SQLite truncates it only when no
// connection has the database open, and the cache keeps one), the fault
// becomes a panic, recovered here: read() then cannot tell, and lookups
// read the change log, as they do while a commit rewrites the header.
func (w *walIndex) copyHeaders(b *[2 * walHeaderSize]byte) (ok bool) {
	if w.mem == nil {
		return w.pread(b)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	for i := 0; i < len(b); i += 4 {
		binary.NativeEndian.PutUint32(b[i:], atomic.LoadUint32((*uint32)(unsafe.Pointer(&w.mem[i]))))
	}
	return true
}
