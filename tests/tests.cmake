# One line per test. Unit tests: ie_unit_test(<core module>). Integration: ie_integration_test.
# Tests whose files are still being written are skipped until they exist.
# TODO(integration): plain list once everything has landed.
foreach(m record manifest stats resample analyze discover scan duplicates summary checks leakage diff policy gate annotations export plot report)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_${m}.c)
    ie_unit_test(${m})
  endif()
endforeach()
foreach(t cli_scan kill_resume daemon daemon_crash docker_sync hostile oracle cli_info cli_check cli_diff cli_gate cli_export cli_annotations cli_plot cli_report)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_${t}.sh)
    ie_integration_test(test_${t})
  endif()
endforeach()
# The dashboard in headless Chromium (tests/e2e/, needs chromium + node + npm ci): label browser.
ie_integration_test(test_dashboard LABELS browser)
# The scan page on a 10^5-image import, each tab timed (needs bench_gen_manifest): slow, so the
# ASan stage leaves it out.
if(IE_BUILD_BENCH)
  ie_integration_test(test_dashboard_scale LABELS "browser;slow")
  # Timed in the browser: alone, so the suite's other tests do not share its two cores.
  set_tests_properties(integration_test_dashboard_scale PROPERTIES RUN_SERIAL TRUE)
endif()
