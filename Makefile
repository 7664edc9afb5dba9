# The two commands: `make run` starts the adapter at a local URL, `make test` runs every test.
# Both install whatever is missing first (scripts/setup.sh) and are safe to run twice.
.PHONY: setup run test package

setup:
	@scripts/setup.sh

run: setup
	@scripts/run.sh

test: setup
	@scripts/test.sh

package: setup
	@scripts/package.sh
