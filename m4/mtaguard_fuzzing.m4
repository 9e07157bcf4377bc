# MTAGUARD_FUZZING: --enable-fuzzing builds the libFuzzer targets (needs clang++).
AC_DEFUN([MTAGUARD_FUZZING], [
  AC_ARG_ENABLE([fuzzing],
    [AS_HELP_STRING([--enable-fuzzing], [build libFuzzer targets (configure with CXX=clang++)])],
    [], [enable_fuzzing=no])
  AS_IF([test "x$enable_fuzzing" = xyes], [
    AC_MSG_CHECKING([whether $CXX supports -fsanitize=fuzzer])
    save_CXXFLAGS="$CXXFLAGS"
    CXXFLAGS="$CXXFLAGS -fsanitize=fuzzer-no-link"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no]); AC_MSG_ERROR([--enable-fuzzing needs clang++ with libFuzzer])])
    CXXFLAGS="$save_CXXFLAGS"
    AM_CXXFLAGS="$AM_CXXFLAGS -fsanitize=fuzzer-no-link,address,undefined"
    AM_LDFLAGS="$AM_LDFLAGS -fsanitize=address,undefined"
  ])
  AM_CONDITIONAL([FUZZING], [test "x$enable_fuzzing" = xyes])
])
