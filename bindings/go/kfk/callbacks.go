package kfk

/*
#include <kfk.h>
*/
import "C"

import "runtime/cgo"

//export gokfkRebalance
func gokfkRebalance(h C.uintptr_t, event C.int, parts *C.kfk_partition_list) {
	c := cgo.Handle(h).Value().(*Consumer)
	c.onRebalance(c, RebalanceEvent(event), fromCList(parts))
}

//export gokfkCommit
func gokfkCommit(h C.uintptr_t, err C.int, offsets *C.kfk_partition_list) {
	c := cgo.Handle(h).Value().(*Consumer)
	c.onCommit(newError(C.kfk_err(err), ""), fromCList(offsets))
}

//export gokfkError
func gokfkError(h C.uintptr_t, err C.int, reason *C.char) {
	fn := cgo.Handle(h).Value().(func(error))
	fn(newError(C.kfk_err(err), C.GoString(reason)))
}
