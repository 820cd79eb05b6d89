// C++ exceptions as Python exceptions with the same message: se3t::Error (bad input) is a
// ValueError, LibTorch's c10::Error a RuntimeError (or its IndexError, ValueError, TypeError)
// without the C++ backtrace that what() appends.
#include <exception>
#include <stdexcept>

#include "bindings.h"
#include "se3t/util/check.h"

namespace se3t::python {

void bind_errors(py::module_& m) {
  (void)m;
  // Local translators run before the global ones (pybind11's defaults, torch's).
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const se3t::Error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const c10::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what_without_backtrace());
    } catch (const c10::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what_without_backtrace());
    } catch (const c10::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what_without_backtrace());
    } catch (const c10::NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what_without_backtrace());
    } catch (const c10::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what_without_backtrace());
    } catch (const std::invalid_argument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::runtime_error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
}

}  // namespace se3t::python
