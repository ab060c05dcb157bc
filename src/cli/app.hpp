#pragma once

namespace espq::cli {
int run_app(int argc, char** argv);
}
