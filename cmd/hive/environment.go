package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envAnnotation marks a flag with the environment variable that gives its
// value when the flag is not given.
const envAnnotation = "hive_env"

// envFlags makes each flag of fs named in byFlag take its value from the
// environment variable named beside it when the flag is not given. The
// environment is read after parsing, just before the command runs (see
// fromEnvironment), and never into a flag's default: --help shows the
// built-in default, never the environment's values, which may be secrets
// (HIVE_TOKEN, a HIVE_SERVER with a password).
func envFlags(fs *pflag.FlagSet, byFlag map[string]string) {
	for name, env := range byFlag {
		_ = fs.SetAnnotation(name, envAnnotation, []string{env}) // the flag exists (TestHelpShowsNoEnvironmentValue)
	}
}

// fromEnvironment makes cmd and its subcommands, before they run, set each
// flag envFlags marked and the command line did not give from its
// environment variable, if set. The flag stays unchanged (Flag.Changed),
// as if its default had been the environment's value.
func fromEnvironment(cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			if err := setFromEnvironment(c.Flags()); err != nil {
				return err
			}
			return run(c, args)
		}
	}
	for _, sub := range cmd.Commands() {
		fromEnvironment(sub)
	}
}

// setFromEnvironment sets the flags of fs that envFlags marked and that
// were not given from their environment variables.
func setFromEnvironment(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		names := f.Annotations[envAnnotation]
		if err != nil || f.Changed || len(names) == 0 {
			return
		}
		v, ok := os.LookupEnv(names[0])
		if !ok {
			return
		}
		if f.Value.Set(v) != nil { // its error would show the value
			err = fmt.Errorf("%s is not a valid value for --%s (%s)", names[0], f.Name, f.Value.Type())
		}
	})
	return err
}
