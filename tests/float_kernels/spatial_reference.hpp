// Helpers for the naive reference loops of the spatial operators (Conv, ConvTranspose, pools): the references
// are written for 2-D NCHW only and view a 1-D (N, C, W) case as (N, C, 1, W).
#pragma once

#include <initializer_list>
#include <vector>

#include "espq/tensor.hpp"

namespace espq::test {

class LiftTo2d {
public:
    explicit LiftTo2d(const Tensor& x) : active_(x.rank() == 3) {}
    bool active() const { return active_; }
    // (N, C, W) -> (N, C, 1, W); 2-D tensors are left alone.
    void tensors(std::initializer_list<Tensor*> ts) const {
        if (active_)
            for (Tensor* t : ts) t->reshape({t->dim(0), t->dim(1), 1, t->dim(2)});
    }
    // Prepends the H-axis value of per-axis parameters (1 for strides/dilations/sizes, 0 for pads).
    void dims(std::initializer_list<std::vector<int64_t>*> ds, int64_t h_value) const {
        if (active_)
            for (auto* d : ds) d->insert(d->begin(), h_value);
    }
    // Drops the unit H axis of a result again.
    void restore(Tensor& t) const {
        if (active_) t.reshape({t.dim(0), t.dim(1), t.dim(3)});
    }

private:
    bool active_;
};

}  // namespace espq::test
