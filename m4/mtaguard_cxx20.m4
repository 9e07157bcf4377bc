# MTAGUARD_CXX20: require a compiler that accepts -std=c++20.
AC_DEFUN([MTAGUARD_CXX20], [
  AC_MSG_CHECKING([whether $CXX accepts -std=c++20])
  save_CXXFLAGS="$CXXFLAGS"
  CXXFLAGS="$CXXFLAGS -std=c++20"
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <span>
#include <string_view>]], [[std::string_view s{"x"}; return s.starts_with("x") ? 0 : 1;]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no]); AC_MSG_ERROR([a C++20 compiler is required (g++ >= 12)])])
  CXXFLAGS="$save_CXXFLAGS"
  AM_CXXFLAGS="-std=c++20 -Wall -Wextra"
  AC_SUBST([AM_CXXFLAGS])
])
