# One line per test: a test whose file is missing fails the configure step (no silent skips).
# Unit tests: ie_unit_test(<core module>) for tests/unit/test_<module>.c.
ie_unit_test(record)
ie_unit_test(marks)
ie_unit_test(manifest)
ie_unit_test(stats)
ie_unit_test(resample)
ie_unit_test(options)
ie_unit_test(analyze)
ie_unit_test(exif_container)
ie_unit_test(discover)
ie_unit_test(scan)
ie_unit_test(duplicates)
ie_unit_test(summary)
ie_unit_test(checks)
ie_unit_test(leakage)
ie_unit_test(diff)
ie_unit_test(diff_match)
ie_unit_test(slim_snap)
ie_unit_test(merge)
ie_unit_test(yaml)
ie_unit_test(policy)
ie_unit_test(gate)
ie_unit_test(annotations)
ie_unit_test(export)
ie_unit_test(parquet_enc)
ie_unit_test(plot)
ie_unit_test(report)
ie_unit_test(json)
ie_unit_test(util)
ie_unit_test(thumbnail)
ie_unit_test(profile)
# Integration tests: ie_integration_test(<name>) for tests/integration/<name>.sh.
ie_integration_test(test_cli_scan)
ie_integration_test(test_resample_simd)
ie_integration_test(test_kill_resume)
ie_integration_test(test_daemon)
ie_integration_test(test_daemon_marks)
ie_integration_test(test_daemon_boxes)
# Browsing the images: several flags, ranges, camera, natural sort, the original file.
ie_integration_test(test_daemon_browse)
ie_integration_test(test_daemon_browse_split)
ie_integration_test(test_daemon_classes)
# A database of the schema before 0006, upgraded: the camera and split backfills.
ie_integration_test(test_daemon_migrate)
ie_integration_test(test_daemon_crash)
ie_integration_test(test_docker_sync)
ie_integration_test(test_hostile)
# EXIF in PNG/TIFF/WebP/HEIF containers agrees with Pillow on the committed real-EXIF fixtures.
ie_integration_test(test_exif_containers)
ie_integration_test(test_cli_info)
ie_integration_test(test_cli_check)
ie_integration_test(test_cli_diff)
ie_integration_test(test_cli_gate)
ie_integration_test(test_cli_marks)
ie_integration_test(test_cli_long_line)
ie_integration_test(test_cli_export)
ie_integration_test(test_imgeda_csv)
ie_integration_test(test_cli_imgeda_compat)
ie_integration_test(test_sizes_decimal)
ie_integration_test(test_cli_annotations)
ie_integration_test(test_cli_plot)
ie_integration_test(test_cli_report)
ie_integration_test(test_manifest_golden)
ie_integration_test(test_cli_merge)
ie_integration_test(test_profile)
# deploy/slurm on a private single-node SLURM (slurm-wlm, munge; needs root: exit 77 = skipped).
# Labelled slow: the sanitizer stage leaves it out. Its 40 s are mostly slurmctld and slurmd
# starting; the imgeda code its jobs run (shard scans, merge) runs under the sanitizers in
# test_cli_merge.
ie_integration_test(test_slurm LABELS "slurm;slow")
set_tests_properties(integration_test_slurm PROPERTIES SKIP_RETURN_CODE 77)
# deploy/k8s: the manifests parse, agree with each other, and their commands merge to one scan.
ie_integration_test(test_k8s_manifests)
# The dashboard in headless Chromium (tests/e2e/, needs chromium + node + npm ci): label browser.
# Browser tests labelled nosan run in the normal stage only: each page's own behaviour is
# JavaScript, which the sanitizers do not see, and the daemon routes those pages call run under
# ASan+UBSan in the API tests and in test_dashboard and test_dashboard_defects, which stay in
# both stages. Keeps the suite's two stages within the CI time budget.
ie_integration_test(test_dashboard LABELS browser)
# The dashboard defects of issue 12, each with the test that failed before its fix.
ie_integration_test(test_dashboard_defects LABELS browser)
ie_integration_test(test_dashboard_versions LABELS "browser;nosan")
ie_integration_test(test_dashboard_boxes LABELS "browser;nosan")
# Duplicate review in the dashboard: keeper by key, ok, not a duplicate, the remove list.
ie_integration_test(test_dashboard_review LABELS "browser;nosan")
# Browsing: image in the URL, ←/→, grid, several flags and ranges, natural sort, pages.
ie_integration_test(test_dashboard_browse LABELS "browser;nosan")
# Rescan then compare as a user: sections, thumbnails old/new, phash distances as the API says.
ie_integration_test(test_dashboard_compare LABELS "browser;nosan")
# The issue tabs: what-if threshold sliders, worst first, corrupt table by error, leakage page.
ie_integration_test(test_dashboard_issues LABELS "browser;nosan")
# The scan page on a 10^5-image import, each tab timed (needs bench_gen_manifest): slow, so the
# ASan stage leaves it out.
if(IE_BUILD_BENCH)
  ie_integration_test(test_dashboard_scale LABELS "browser;slow")
  # Timed in the browser: alone, so the suite's other tests do not share its two cores.
  set_tests_properties(integration_test_dashboard_scale PROPERTIES RUN_SERIAL TRUE)
endif()
ie_integration_test(test_isolation)
ie_integration_test(test_daemon_isolation)
# Server unit tests: ie_server_test(<name>) for tests/unit/test_srv_<name>.c.
ie_server_test(db)
ie_integration_test(test_daemon_http_limits)
ie_integration_test(test_daemon_races)
ie_integration_test(test_daemon_input)
# The daemon's memory: the thumbnail decode gate (unit) and a burst of thumbnails (integration).
ie_server_test(memory)
ie_integration_test(test_daemon_memory)
# Minutes of every kind of client at once; fds, threads and RSS flat (SOAK_SECONDS, default
# 180): slow, so the ASan stage leaves it out and the first stage runs it.
ie_integration_test(test_soak LABELS "slow;soak")
ie_integration_test(test_daemon_lock)
ie_integration_test(test_daemon_shutdown)
ie_integration_test(test_daemon_versions)
ie_integration_test(test_daemon_duplicates)
ie_integration_test(test_daemon_histograms)
ie_integration_test(test_daemon_enospc)
ie_integration_test(test_daemon_import)
ie_integration_test(test_daemon_import_bulk)
ie_server_test(canon)
ie_server_test(reserve)
# Engine unit tests: ie_engine_test(<engine module>) for tests/unit/test_eng_<module>.c; S3: run
# next to a local S3 server (s3rver).
ie_engine_test(s3 S3)
ie_integration_test(test_s3_scan)
ie_integration_test(test_daemon_s3)
ie_server_test(bucket)
# The serverless flow (deploy/aws/): the real imgeda-lambda run through the state machine
# against a local Lambda Runtime API and s3rver; the ASL, the template and the Dockerfile checked.
ie_integration_test(test_lambda_flow)
ie_integration_test(test_lambda_deploy)
ie_integration_test(test_export_parquet)
