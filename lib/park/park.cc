#include "chan/park.h"

#include <utility>

#include "lib/park/park_state.h"

namespace chan {

Parker::Parker() : state_(new internal::ParkState) {}

Parker::~Parker() {
  if (state_ != nullptr) state_->Unref();
}

Parker::Parker(Parker&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)) {}

Parker& Parker::operator=(Parker&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr) state_->Unref();
    state_ = std::exchange(other.state_, nullptr);
  }
  return *this;
}

Parker& Parker::ForThisThread() {
  thread_local Parker parker;
  return parker;
}

void Parker::Park() { state_->waiter().Park(); }

bool Parker::ParkUntil(absl::Time deadline) {
  return state_->waiter().ParkUntil(deadline);
}

Unparker Parker::unparker() const {
  state_->Ref();
  return Unparker(state_);
}

Unparker::Unparker(internal::ParkState* state) noexcept : state_(state) {}

Unparker::Unparker(const Unparker& other) noexcept : state_(other.state_) {
  if (state_ != nullptr) state_->Ref();
}

Unparker& Unparker::operator=(const Unparker& other) noexcept {
  if (other.state_ != nullptr) other.state_->Ref();
  if (state_ != nullptr) state_->Unref();
  state_ = other.state_;
  return *this;
}

Unparker::Unparker(Unparker&& other) noexcept
    : state_(std::exchange(other.state_, nullptr)) {}

Unparker& Unparker::operator=(Unparker&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr) state_->Unref();
    state_ = std::exchange(other.state_, nullptr);
  }
  return *this;
}

Unparker::~Unparker() {
  if (state_ != nullptr) state_->Unref();
}

void Unparker::Unpark() const { state_->waiter().Unpark(); }

}  // namespace chan
