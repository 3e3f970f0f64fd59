// chan: Go-style typed channels and select for C++20 threads.
//
// This header gathers the public API:
//   chan/channel.h  Sender, Receiver, Unbounded(), Bounded()
//   chan/result.h   Status, SendResult, RecvResult
//   chan/select.h   Select(), DynamicSelect: waiting on several operations
//   chan/timer.h    After(), At(), Tick(), Never(): timer channels
//   chan/park.h     Parker, Unparker: the parking primitive underneath
#ifndef CHAN_CHAN_H_
#define CHAN_CHAN_H_

#include "chan/channel.h"
#include "chan/park.h"
#include "chan/result.h"
#include "chan/select.h"
#include "chan/timer.h"

#endif  // CHAN_CHAN_H_
