// PLACEHOLDER (skeleton): the CLI verb dispatcher is written by the demo-checkpoint work.
return 0;
