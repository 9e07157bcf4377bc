# MTAGUARD_WERROR: --enable-werror turns warnings into errors (CI builds use it).
AC_DEFUN([MTAGUARD_WERROR], [
  AC_ARG_ENABLE([werror],
    [AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])],
    [], [enable_werror=no])
  AS_IF([test "x$enable_werror" = xyes], [AM_CXXFLAGS="$AM_CXXFLAGS -Werror"])
])
